//! Production layer over `dixa-client`.
