"""PAdES signing and verification: a pure stage, split as pyHanko splits it.

``keys`` says where the key lives (a PKCS#12 file; the development PKI), ``appearance`` how the
visible stamp looks, ``sign`` orchestrates an incremental PAdES signature, and ``verify`` checks
integrity, coverage, trust and timestamp of every signature in a file.
"""
