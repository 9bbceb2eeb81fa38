//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use crate::ValidationError;

const PREFIX: &str = "whsec_";

/// A Standard Webhooks signing secret, parsed from its `whsec_<base64>` form.
///
/// The key never appears in `Debug` output or in error messages.
///
/// # Example
/// ```
/// use genesys_routing_eval::sink::SigningSecret;
///
/// // The specification's published test vector.
/// let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
/// assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// ```
#[derive(Clone)]
pub struct SigningSecret {
    key: SecretSlice<u8>,
}

impl SigningSecret {
    /// Parses `whsec_` followed by the base64 key (padded or not).
    ///
    /// # Errors
    /// [`ValidationError::Invalid`] named `webhook secret` when the prefix is missing, the rest
    /// is not base64, or the key is empty. The message never contains the secret.
    pub fn parse(secret: &str) -> Result<Self, ValidationError> {
        let invalid = |reason: &str| ValidationError::Invalid {
            name: "webhook secret".into(),
            reason: reason.into(),
        };
        let encoded = secret.trim().strip_prefix(PREFIX).ok_or_else(|| {
            invalid("expected `whsec_` followed by base64, as Standard Webhooks issues it; copy the whole secret from the receiver")
        })?;
        let key = STANDARD_PAD_INDIFFERENT
            .decode(encoded)
            .map_err(|_| invalid("the part after `whsec_` is not valid base64; copy the whole secret from the receiver"))?;
        if key.is_empty() {
            return Err(invalid(
                "the key after `whsec_` is empty; copy the whole secret from the receiver",
            ));
        }
        Ok(SigningSecret {
            key: SecretSlice::from(key),
        })
    }

    /// The `webhook-signature` header value for a message: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`, `timestamp` in unix seconds.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret())
            .expect("hmac accepts keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_secrets_without_prefix_or_base64_without_echoing_them() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not*base64!",
            "whsec_",
        ] {
            let err = SigningSecret::parse(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("webhook secret is invalid"), "{text}");
            assert!(!text.contains("MfKQ9r8"), "{text}");
            assert!(!text.contains("not*base64"), "{text}");
        }
    }

    #[test]
    fn accepts_unpadded_base64() {
        // 25 bytes of key: base64 needs padding, which some issuers drop.
        let padded = format!("whsec_{}", STANDARD.encode([7u8; 25]));
        let unpadded = padded.trim_end_matches('=').to_owned();
        assert_ne!(padded, unpadded);
        let a = SigningSecret::parse(&padded).unwrap().sign("m", 1, b"{}");
        let b = SigningSecret::parse(&unpadded).unwrap().sign("m", 1, b"{}");
        assert_eq!(a, b);
    }
}
