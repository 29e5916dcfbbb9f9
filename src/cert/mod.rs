//! SM2 X.509 certificates.
//!
//! For now this module reads the subject public key out of a certificate
//! (PEM or DER), which is what signature verification and encryption to a
//! certificate need. Issuance, chain verification, status and the
//! lifecycle are built on top of it.

use der::{Decode, Encode};

use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::pem;

/// PEM label of certificates.
pub const PEM_CERTIFICATE: &str = "CERTIFICATE";

/// The DER of the first certificate in `data` (PEM or DER).
pub fn certificate_der(data: &[u8]) -> Result<Vec<u8>> {
    if pem::is_pem(data) {
        let block = pem::parse_all(data)?
            .into_iter()
            .find(|b| b.label == PEM_CERTIFICATE)
            .ok_or_else(|| Error::malformed("certificate PEM", "no CERTIFICATE block"))?;
        Ok(block.der.clone())
    } else {
        Ok(data.to_vec())
    }
}

/// The SM2 public key a certificate (PEM or DER) certifies. The key may be
/// labelled id-ecPublicKey with the SM2 curve or with the bare SM2 OID.
pub fn certificate_public_key(data: &[u8]) -> Result<PublicKey> {
    let der_bytes = certificate_der(data)?;
    let cert = x509_cert::Certificate::from_der(&der_bytes)
        .map_err(|e| Error::malformed("X.509 certificate", e))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| Error::malformed("X.509 certificate", e))?;
    PublicKey::from_spki_der(&spki)
}
