//! Identifiers and bearer secrets in Amazon's shapes, from the injected randomness.

use base64::Engine as _;
use crypto::Random;

const UPPER_ALNUM: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Makes the sandbox's ids and secrets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ids<'a>(pub &'a dyn Random);

impl Ids<'_> {
    fn bytes<const N: usize>(self) -> [u8; N] {
        let mut b = [0u8; N];
        self.0.fill(&mut b);
        b
    }

    fn upper(self, len: usize) -> String {
        let mut b = vec![0u8; len];
        self.0.fill(&mut b);
        // 32 symbols: masking a byte is unbiased.
        b.iter().map(|x| char::from(UPPER_ALNUM[usize::from(x & 31)])).collect()
    }

    fn opaque(self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes::<48>())
    }

    /// A random UUID (request, notification, destination and subscription ids).
    pub fn uuid(self) -> String {
        uuid::Builder::from_random_bytes(self.bytes()).into_uuid().to_string()
    }

    /// `amzn1.sp.solution.<uuid>`.
    pub fn application_id(self) -> String {
        format!("amzn1.sp.solution.{}", self.uuid())
    }

    /// `amzn1.application-oa2-client.<32 hex>`.
    pub fn client_id(self) -> String {
        format!("amzn1.application-oa2-client.{}", hex::encode(self.bytes::<16>()))
    }

    /// `amzn1.oa2-cs.v1.<64 hex>`.
    pub fn client_secret(self) -> String {
        format!("amzn1.oa2-cs.v1.{}", hex::encode(self.bytes::<32>()))
    }

    /// A selling partner id: `A` and 13 upper-case letters or digits, as `A3TH9S8BH6GOGM`.
    pub fn selling_partner_id(self) -> String {
        format!("A{}", self.upper(13))
    }

    /// An LWA refresh token.
    pub fn refresh_token(self) -> String {
        format!("Atzr|IwEBI{}", self.opaque())
    }

    /// An LWA access token of a selling partner.
    pub fn access_token(self) -> String {
        format!("Atza|IwEBI{}", self.opaque())
    }

    /// A grantless (client credentials) access token.
    pub fn grantless_token(self) -> String {
        format!("Atc|MQEBI{}", self.opaque())
    }

    /// A restricted data token.
    pub fn restricted_data_token(self) -> String {
        format!("Atz.sprdt|IQEBL{}", self.opaque())
    }

    /// An `spapi_oauth_code`: 20 upper-case letters and digits.
    pub fn oauth_code(self) -> String {
        self.upper(20)
    }

    /// The `amazon_state` handed to the app's login URI.
    pub fn amazon_state(self) -> String {
        self.opaque()
    }

    /// A case id: 11 digits, as Amazon's support cases.
    pub fn case_id(self) -> String {
        let b = self.bytes::<11>();
        b.iter().enumerate().map(|(i, x)| char::from(if i == 0 { b'1' + x % 9 } else { b'0' + x % 10 })).collect()
    }

    /// An Amazon customer id: `amzn1.account.` and 28 upper-case letters and digits.
    pub fn customer_id(self) -> String {
        format!("amzn1.account.{}", self.upper(28))
    }

    /// A 3-7-7 Amazon order id.
    pub fn order_id(self) -> String {
        let b = self.bytes::<17>();
        let d: String = b.iter().map(|x| char::from(b'0' + x % 10)).collect();
        format!("{}-{}-{}", &d[..3], &d[3..10], &d[10..])
    }

    /// A random number below `n` (small `n`; the modulo bias is irrelevant for sample data).
    pub fn below(self, n: u32) -> u32 {
        u32::from_le_bytes(self.bytes()) % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto::SystemRandom;

    #[test]
    fn shapes_match_amazon() {
        let ids = Ids(&SystemRandom);
        let app = ids.application_id();
        assert!(app.starts_with("amzn1.sp.solution.") && app.len() == "amzn1.sp.solution.".len() + 36);
        let client = ids.client_id();
        let hex_part = client.strip_prefix("amzn1.application-oa2-client.").unwrap();
        assert_eq!(hex_part.len(), 32);
        assert!(hex_part.bytes().all(|b| b.is_ascii_hexdigit()));
        let secret = ids.client_secret();
        assert_eq!(secret.strip_prefix("amzn1.oa2-cs.v1.").unwrap().len(), 64);
        let sp = ids.selling_partner_id();
        assert!(sp.len() == 14 && sp.starts_with('A'));
        assert!(sp.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert!(ids.refresh_token().starts_with("Atzr|"));
        assert!(ids.access_token().starts_with("Atza|"));
        assert!(ids.grantless_token().starts_with("Atc|"));
        assert!(ids.restricted_data_token().starts_with("Atz.sprdt|"));
        let order = ids.order_id();
        assert_eq!(order.len(), 19);
        assert_eq!(order.split('-').map(str::len).collect::<Vec<_>>(), vec![3, 7, 7]);
        assert_ne!(ids.access_token(), ids.access_token());
    }
}
