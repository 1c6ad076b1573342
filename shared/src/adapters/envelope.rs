//! The one sealed-secret format both cipher adapters write.
//!
//! ```text
//! [0]      format version (1)
//! [1]      key provider (1 = AWS KMS, 2 = local key file)
//! [2..4]   wrapped data key length n, big endian
//! [4..4+n] wrapped data key (opaque to this module)
//! [+12]    AES-GCM nonce
//! [rest]   AES-256-GCM ciphertext and tag; associated data = the seal context
//! ```

use crate::ports::{CipherError, SealContext};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::SecretSlice;
use zeroize::Zeroizing;

pub const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Provider {
    Kms = 1,
    /// The embedded key file's; reserved in the format whether or not this build has it.
    #[cfg_attr(not(feature = "embedded"), allow(dead_code))]
    LocalKey = 2,
}

/// A 256-bit data key, wiped from memory on drop.
pub type DataKey = Zeroizing<[u8; 32]>;

pub struct Parsed<'a> {
    pub provider: u8,
    pub wrapped_key: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CipherError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CipherError::Unavailable(format!("entropy: {e}")))?;
    Ok(buf)
}

pub fn data_key_from(bytes: &[u8]) -> Result<DataKey, CipherError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| CipherError::Rejected)?;
    Ok(Zeroizing::new(array))
}

/// AES-256-GCM with a fresh random nonce; returns `nonce || ciphertext || tag`.
pub fn aead_seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
    let nonce = random_bytes::<NONCE_LEN>()?;
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CipherError::Rejected)?;
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CipherError::Rejected)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens `nonce || ciphertext || tag`; any mismatch of key, data or AAD is `Rejected`.
pub fn aead_open(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CipherError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(CipherError::Rejected);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CipherError::Rejected)?;
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CipherError::Rejected)
}

pub fn seal(
    provider: Provider,
    wrapped_key: &[u8],
    key: &DataKey,
    context: &SealContext,
    plaintext: &[u8],
) -> Result<Vec<u8>, CipherError> {
    let wrapped_len = u16::try_from(wrapped_key.len()).map_err(|_| CipherError::Rejected)?;
    let body = aead_seal(key, &context.aad(), plaintext)?;
    let mut out = Vec::with_capacity(4 + wrapped_key.len() + body.len());
    out.push(FORMAT_V1);
    out.push(provider as u8);
    out.extend_from_slice(&wrapped_len.to_be_bytes());
    out.extend_from_slice(wrapped_key);
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn parse(sealed: &[u8]) -> Result<Parsed<'_>, CipherError> {
    let [version, provider, hi, lo, rest @ ..] = sealed else {
        return Err(CipherError::Rejected);
    };
    if *version != FORMAT_V1 {
        return Err(CipherError::Rejected);
    }
    let n = u16::from_be_bytes([*hi, *lo]) as usize;
    if rest.len() < n + NONCE_LEN + 16 {
        return Err(CipherError::Rejected);
    }
    let (wrapped_key, body) = rest.split_at(n);
    let (nonce, ciphertext) = body.split_at(NONCE_LEN);
    Ok(Parsed {
        provider: *provider,
        wrapped_key,
        nonce,
        ciphertext,
    })
}

pub fn open(
    parsed: &Parsed<'_>,
    key: &DataKey,
    context: &SealContext,
) -> Result<SecretSlice<u8>, CipherError> {
    let mut body = Vec::with_capacity(parsed.nonce.len() + parsed.ciphertext.len());
    body.extend_from_slice(parsed.nonce);
    body.extend_from_slice(parsed.ciphertext);
    let plain = aead_open(key, &context.aad(), &body)?;
    Ok(SecretSlice::from(plain.to_vec()))
}
