//! An in-process fake Dixa API server on loopback.
