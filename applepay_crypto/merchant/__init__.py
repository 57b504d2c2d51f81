"""The merchant account's tooling, beside the token pipeline: keys and CSRs for Apple's
portal (:mod:`.keygen`, :mod:`.certs`), certificate files (:mod:`.certfiles`), what a
certificate is and whether it fits its key (:mod:`.certinfo`), and merchant sessions
(:mod:`.session`)."""
