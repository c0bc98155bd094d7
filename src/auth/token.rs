//! Bearer token format: `slk_<id>_<secret>`. The id finds the stored token; the secret
//! (256 random bits) is kept only as a SHA-256 digest and compared in constant time.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "slk_";
const SECRET_BYTES: usize = 32;

/// A freshly minted token: shown once, never stored in clear.
#[derive(Debug)]
pub struct MintedToken {
    /// The token id (public: listed and used to revoke).
    pub id: String,
    /// The whole bearer token, to hand to the caller once.
    pub bearer: String,
    /// SHA-256 of the secret, hex: what is stored.
    pub secret_digest: String,
}

/// A bearer token split into its parts (not yet checked against the store).
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedToken<'a> {
    /// The token id.
    pub id: &'a str,
    /// The secret part.
    pub secret: &'a str,
}

/// Mints a new token with 256 bits of randomness from the operating system.
pub fn mint() -> Result<MintedToken, getrandom::Error> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret)?;
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let id = uuid::Uuid::new_v4().simple().to_string();
    Ok(MintedToken {
        bearer: format!("{PREFIX}{id}_{secret}"),
        secret_digest: digest(&secret),
        id,
    })
}

/// Splits `slk_<id>_<secret>`; `None` if it is not of that shape.
pub fn parse(bearer: &str) -> Option<PresentedToken<'_>> {
    let rest = bearer.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = !secret.is_empty() && secret.len() <= 64;
    (id_ok && secret_ok).then_some(PresentedToken { id, secret })
}

/// SHA-256 of a secret, hex.
pub fn digest(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` matches the stored digest, in time independent of where they differ.
pub fn secret_matches(secret: &str, stored_digest: &str) -> bool {
    digest(secret)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

/// Extracts the token from an `authorization: Bearer …` header value.
pub fn from_authorization_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_and_match() {
        let minted = mint().unwrap();
        let presented = parse(&minted.bearer).unwrap();
        assert_eq!(presented.id, minted.id);
        assert!(secret_matches(presented.secret, &minted.secret_digest));
        assert!(!secret_matches("wrong", &minted.secret_digest));
        assert!(!minted.bearer.contains(&minted.secret_digest));
        assert_ne!(mint().unwrap().bearer, minted.bearer);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "slk_",
            "slk_abc_def",
            "xyz_0123456789abcdef0123456789abcdef_s",
            "slk_0123456789abcdef0123456789abcdef_",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn authorization_header_needs_the_bearer_scheme() {
        assert_eq!(from_authorization_header("Bearer abc"), Some("abc"));
        assert_eq!(from_authorization_header("bearer  abc "), Some("abc"));
        assert_eq!(from_authorization_header("Basic abc"), None);
        assert_eq!(from_authorization_header("abc"), None);
    }
}
