//! SM4 (GB/T 32907) block cipher and its modes: ECB, CBC, CTR, GCM, CCM.
//!
//! Keys are 16 bytes. ECB and CBC pad with PKCS#7 by default (as OpenSSL
//! does); [`Padding::None`] requires whole blocks. CTR takes a 16-byte
//! initial counter block and increments it as a 128-bit big-endian number,
//! as OpenSSL's `sm4-ctr` does. GCM and CCM take a 12-byte nonce and give a
//! 16-byte tag appended to the ciphertext (RFC 8998).
//!
//! # Key schedules are wiped
//!
//! Every cipher instance here is built from a secret key (the PIN
//! container's key-encryption key, the database sealing key, a PBES2
//! key) and lives only for the call. With the `zeroize` features of
//! `sm4`, `aes`, `cipher`, `cbc`, `ecb`, `ctr` and `aes-gcm`, dropping it
//! wipes what it holds: the SM4 round keys (and AES's, in
//! [`super::pkcs8enc`]), the CBC chaining block, the CTR counter, GCM's
//! hash subkey H. `ecb` and `ccm` do not mark their types
//! `ZeroizeOnDrop` (`ccm` 0.6 has no `zeroize` feature), but their only
//! secret is the `Sm4` they hold, and `Sm4` wipes its round keys in its own
//! `Drop`. Left unwiped: CCM's CBC-MAC accumulator and the per-block
//! keystream temporaries inside the mode crates (stack locals the crates
//! do not zeroize). The tests check the wiping types at compile time.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use cipher::block_padding::{NoPadding, Pkcs7};
use cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, StreamCipher};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// SM4 key length in bytes.
pub const KEY_LEN: usize = 16;
/// SM4 block length in bytes.
pub const BLOCK_LEN: usize = 16;
/// GCM and CCM nonce length in bytes.
pub const AEAD_NONCE_LEN: usize = 12;
/// GCM and CCM tag length in bytes.
pub const AEAD_TAG_LEN: usize = 16;

/// Block padding for ECB and CBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// PKCS#7 (the default, what OpenSSL writes).
    #[default]
    Pkcs7,
    /// No padding: the input must be a whole number of blocks.
    None,
}

type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, cipher::consts::U12>;
type Sm4Ccm = ccm::Ccm<sm4::Sm4, cipher::consts::U16, cipher::consts::U12>;

fn key16(key: &[u8]) -> Result<&[u8; KEY_LEN]> {
    key.try_into()
        .map_err(|_| Error::length("SM4 key", "16 bytes", key.len()))
}

fn iv16<'a>(what: &'static str, iv: &'a [u8]) -> Result<&'a [u8; BLOCK_LEN]> {
    iv.try_into()
        .map_err(|_| Error::length(what, "16 bytes", iv.len()))
}

fn nonce12(nonce: &[u8]) -> Result<&[u8; AEAD_NONCE_LEN]> {
    nonce
        .try_into()
        .map_err(|_| Error::length("SM4 AEAD nonce", "12 bytes", nonce.len()))
}

fn whole_blocks(data: &[u8]) -> Result<()> {
    if data.len().is_multiple_of(BLOCK_LEN) {
        Ok(())
    } else {
        Err(Error::length(
            "SM4 input without padding",
            "a multiple of 16 bytes",
            data.len(),
        ))
    }
}

/// Encrypt one 16-byte block (the raw cipher, for known-answer checks and
/// building other modes).
pub fn encrypt_block(key: &[u8], block: &[u8; BLOCK_LEN]) -> Result<[u8; BLOCK_LEN]> {
    let c = <sm4::Sm4 as KeyInit>::new(key16(key)?.into());
    let mut b = (*block).into();
    c.encrypt_block(&mut b);
    Ok(b.into())
}

/// SM4-ECB encryption.
pub fn ecb_encrypt(key: &[u8], plaintext: &[u8], padding: Padding) -> Result<Vec<u8>> {
    let enc = ecb::Encryptor::<sm4::Sm4>::new(key16(key)?.into());
    match padding {
        Padding::Pkcs7 => Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext)),
        Padding::None => {
            whole_blocks(plaintext)?;
            Ok(enc.encrypt_padded_vec::<NoPadding>(plaintext))
        }
    }
}

/// SM4-ECB decryption.
pub fn ecb_decrypt(key: &[u8], ciphertext: &[u8], padding: Padding) -> Result<Zeroizing<Vec<u8>>> {
    let dec = ecb::Decryptor::<sm4::Sm4>::new(key16(key)?.into());
    whole_blocks(ciphertext)?;
    let out = match padding {
        Padding::Pkcs7 => dec.decrypt_padded_vec::<Pkcs7>(ciphertext),
        Padding::None => dec.decrypt_padded_vec::<NoPadding>(ciphertext),
    };
    out.map(Zeroizing::new).map_err(|_| Error::InvalidPadding)
}

/// SM4-CBC encryption with a 16-byte IV.
pub fn cbc_encrypt(key: &[u8], iv: &[u8], plaintext: &[u8], padding: Padding) -> Result<Vec<u8>> {
    let enc = cbc::Encryptor::<sm4::Sm4>::new(key16(key)?.into(), iv16("SM4-CBC IV", iv)?.into());
    match padding {
        Padding::Pkcs7 => Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext)),
        Padding::None => {
            whole_blocks(plaintext)?;
            Ok(enc.encrypt_padded_vec::<NoPadding>(plaintext))
        }
    }
}

/// SM4-CBC decryption with a 16-byte IV.
pub fn cbc_decrypt(
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    padding: Padding,
) -> Result<Zeroizing<Vec<u8>>> {
    let dec = cbc::Decryptor::<sm4::Sm4>::new(key16(key)?.into(), iv16("SM4-CBC IV", iv)?.into());
    whole_blocks(ciphertext)?;
    let out = match padding {
        Padding::Pkcs7 => dec.decrypt_padded_vec::<Pkcs7>(ciphertext),
        Padding::None => dec.decrypt_padded_vec::<NoPadding>(ciphertext),
    };
    out.map(Zeroizing::new).map_err(|_| Error::InvalidPadding)
}

/// SM4-CTR keystream applied to `data` in place (encryption and decryption
/// are the same operation). `iv` is the initial 16-byte counter block.
pub fn ctr_apply(key: &[u8], iv: &[u8], data: &mut [u8]) -> Result<()> {
    let mut c = ctr::Ctr128BE::<sm4::Sm4>::new(key16(key)?.into(), iv16("SM4-CTR IV", iv)?.into());
    c.try_apply_keystream(data)
        .map_err(|_| Error::length("SM4-CTR input", "less than 2^132 bytes", data.len()))
}

/// SM4-CTR over a copy of `data`.
pub fn ctr(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let mut out = data.to_vec();
    ctr_apply(key, iv, &mut out)?;
    Ok(out)
}

/// SM4-GCM encryption: returns ciphertext ‖ 16-byte tag.
pub fn gcm_encrypt(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let c = Sm4Gcm::new(key16(key)?.into());
    c.encrypt(
        nonce12(nonce)?.into(),
        Payload {
            msg: plaintext,
            aad,
        },
    )
    .map_err(|_| {
        Error::length(
            "SM4-GCM plaintext",
            "at most 2^36 - 32 bytes",
            plaintext.len(),
        )
    })
}

/// SM4-GCM decryption of ciphertext ‖ tag; refuses a wrong tag.
pub fn gcm_decrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let c = Sm4Gcm::new(key16(key)?.into());
    let nonce = nonce12(nonce)?;
    if ciphertext_and_tag.len() < AEAD_TAG_LEN {
        return Err(Error::length(
            "SM4-GCM ciphertext",
            "at least the 16-byte tag",
            ciphertext_and_tag.len(),
        ));
    }
    c.decrypt(
        nonce.into(),
        Payload {
            msg: ciphertext_and_tag,
            aad,
        },
    )
    .map(Zeroizing::new)
    .map_err(|_| Error::AuthenticationFailed)
}

/// SM4-CCM encryption (12-byte nonce, 16-byte tag): ciphertext ‖ tag.
pub fn ccm_encrypt(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let c = Sm4Ccm::new(key16(key)?.into());
    c.encrypt(
        nonce12(nonce)?.into(),
        Payload {
            msg: plaintext,
            aad,
        },
    )
    .map_err(|_| Error::length("SM4-CCM plaintext", "less than 2^24 bytes", plaintext.len()))
}

/// SM4-CCM decryption of ciphertext ‖ tag; refuses a wrong tag.
pub fn ccm_decrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let c = Sm4Ccm::new(key16(key)?.into());
    let nonce = nonce12(nonce)?;
    if ciphertext_and_tag.len() < AEAD_TAG_LEN {
        return Err(Error::length(
            "SM4-CCM ciphertext",
            "at least the 16-byte tag",
            ciphertext_and_tag.len(),
        ));
    }
    c.decrypt(
        nonce.into(),
        Payload {
            msg: ciphertext_and_tag,
            aad,
        },
    )
    .map(Zeroizing::new)
    .map_err(|_| Error::AuthenticationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only for types that wipe themselves on drop.
    fn assert_zod<T: zeroize::ZeroizeOnDrop>() {}

    #[test]
    fn cipher_states_wipe_on_drop() {
        // A compile-time check: removing a `zeroize` feature in Cargo.toml
        // makes this test fail to build.
        assert_zod::<sm4::Sm4>();
        assert_zod::<aes::Aes128>();
        assert_zod::<aes::Aes256>();
        assert_zod::<cbc::Encryptor<sm4::Sm4>>();
        assert_zod::<cbc::Decryptor<sm4::Sm4>>();
        assert_zod::<cbc::Encryptor<aes::Aes128>>();
        assert_zod::<cbc::Decryptor<aes::Aes256>>();
        assert_zod::<ctr::Ctr128BE<sm4::Sm4>>();
        assert_zod::<Sm4Gcm>();
        assert_zod::<crate::crypto::hash::Sm3>();
        assert_zod::<crate::crypto::hash::HmacSm3>();
        assert_zod::<sha2::Sha256>();
    }

    #[test]
    fn modes_still_round_trip() {
        // The wiping is on drop only: each mode still decrypts what it
        // encrypted (and GCM refuses a flipped bit).
        let key = [0x42u8; KEY_LEN];
        let iv = [7u8; BLOCK_LEN];
        let nonce = [9u8; AEAD_NONCE_LEN];
        let msg = b"seventeen bytes!!";
        let ct = cbc_encrypt(&key, &iv, msg, Padding::Pkcs7).unwrap();
        assert_eq!(
            &cbc_decrypt(&key, &iv, &ct, Padding::Pkcs7).unwrap()[..],
            msg
        );
        let ct = ecb_encrypt(&key, msg, Padding::Pkcs7).unwrap();
        assert_eq!(&ecb_decrypt(&key, &ct, Padding::Pkcs7).unwrap()[..], msg);
        let ct = ctr(&key, &iv, msg).unwrap();
        assert_ne!(&ct[..], msg);
        assert_eq!(&ctr(&key, &iv, &ct).unwrap()[..], msg);
        let mut ct = gcm_encrypt(&key, &nonce, b"aad", msg).unwrap();
        assert_eq!(&gcm_decrypt(&key, &nonce, b"aad", &ct).unwrap()[..], msg);
        ct[0] ^= 1;
        assert_eq!(
            gcm_decrypt(&key, &nonce, b"aad", &ct),
            Err(Error::AuthenticationFailed)
        );
        let ct = ccm_encrypt(&key, &nonce, b"aad", msg).unwrap();
        assert_eq!(&ccm_decrypt(&key, &nonce, b"aad", &ct).unwrap()[..], msg);
    }
}
