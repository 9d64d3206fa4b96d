//! Amazon's fixed lists: the SP-API roles and the marketplaces.

/// An SP-API role, as on Amazon's role list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The role's name.
    pub name: &'static str,
    /// Restricted roles give access to personally identifiable information; they need the
    /// registration's security controls.
    pub restricted: bool,
    /// Whether vendors (not only sellers) can have it.
    pub vendor: bool,
}

const fn role(name: &'static str, restricted: bool, vendor: bool) -> Role {
    Role { name, restricted, vendor }
}

/// The roles, as Amazon lists them.
pub const ROLES: &[Role] = &[
    role("Account Information Service Provider", true, false),
    role("Amazon Fulfillment", false, true),
    role("Amazon Warehousing and Distribution", false, true),
    role("Brand Analytics", false, true),
    role("Buyer Communication", false, false),
    role("Buyer Solicitation", false, false),
    role("Direct-to-Consumer Shipping", true, true),
    role("Finance and Accounting", false, false),
    role("Inventory and Order Tracking", false, false),
    role("Pricing", false, false),
    role("Product Listing", false, true),
    role("Professional Services", true, false),
    role("Selling Partner Insights", false, false),
    role("Tax Invoicing", true, false),
    role("Tax Remittance", true, false),
];

/// The role called `name`, ignoring case, spaces and hyphens ("direct to consumer shipping").
pub fn role_named(name: &str) -> Option<&'static Role> {
    let key =
        |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect::<String>();
    let wanted = key(name);
    ROLES.iter().find(|r| key(r.name) == wanted)
}

/// An Amazon marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marketplace {
    /// The marketplace id, e.g. `ATVPDKIKX0DER`.
    pub id: &'static str,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: &'static str,
    /// E.g. `Amazon.com`.
    pub name: &'static str,
    /// ISO 4217 currency.
    pub currency: &'static str,
    /// Default language, e.g. `en_US`.
    pub language: &'static str,
    /// E.g. `www.amazon.com`.
    pub domain: &'static str,
    /// The SP-API region: `NA`, `EU` or `FE`.
    pub region: &'static str,
}

const fn mp(
    id: &'static str,
    country_code: &'static str,
    name: &'static str,
    currency: &'static str,
    language: &'static str,
    domain: &'static str,
    region: &'static str,
) -> Marketplace {
    Marketplace { id, country_code, name, currency, language, domain, region }
}

/// The marketplaces.
pub const MARKETPLACES: &[Marketplace] = &[
    mp("ATVPDKIKX0DER", "US", "Amazon.com", "USD", "en_US", "www.amazon.com", "NA"),
    mp("A2EUQ1WTGCTBG", "CA", "Amazon.ca", "CAD", "en_CA", "www.amazon.ca", "NA"),
    mp("A1AM78C64UM0Y8", "MX", "Amazon.com.mx", "MXN", "es_MX", "www.amazon.com.mx", "NA"),
    mp("A2Q3Y263D00KWC", "BR", "Amazon.com.br", "BRL", "pt_BR", "www.amazon.com.br", "NA"),
    mp("A1PA6795UKMFR9", "DE", "Amazon.de", "EUR", "de_DE", "www.amazon.de", "EU"),
    mp("A1F83G8C2ARO7P", "GB", "Amazon.co.uk", "GBP", "en_GB", "www.amazon.co.uk", "EU"),
    mp("A13V1IB3VIYZZH", "FR", "Amazon.fr", "EUR", "fr_FR", "www.amazon.fr", "EU"),
    mp("APJ6JRA9NG5V4", "IT", "Amazon.it", "EUR", "it_IT", "www.amazon.it", "EU"),
    mp("A1RKKUPIHCS9HS", "ES", "Amazon.es", "EUR", "es_ES", "www.amazon.es", "EU"),
    mp("A1805IZSGTT6HS", "NL", "Amazon.nl", "EUR", "nl_NL", "www.amazon.nl", "EU"),
    mp("A2NODRKZP88ZB9", "SE", "Amazon.se", "SEK", "sv_SE", "www.amazon.se", "EU"),
    mp("A1C3SOZRARQ6R3", "PL", "Amazon.pl", "PLN", "pl_PL", "www.amazon.pl", "EU"),
    mp("AMEN7PMS3EDWL", "BE", "Amazon.com.be", "EUR", "fr_BE", "www.amazon.com.be", "EU"),
    mp("A33AVAJ2PDY3EV", "TR", "Amazon.com.tr", "TRY", "tr_TR", "www.amazon.com.tr", "EU"),
    mp("A2VIGQ35RCS4UG", "AE", "Amazon.ae", "AED", "en_AE", "www.amazon.ae", "EU"),
    mp("A17E79C6D8DWNP", "SA", "Amazon.sa", "SAR", "ar_AE", "www.amazon.sa", "EU"),
    mp("ARBP9OOSHTCHU", "EG", "Amazon.eg", "EGP", "en_AE", "www.amazon.eg", "EU"),
    mp("A21TJRUUN4KGV", "IN", "Amazon.in", "INR", "en_IN", "www.amazon.in", "EU"),
    mp("A1VC38T7YXB528", "JP", "Amazon.co.jp", "JPY", "ja_JP", "www.amazon.co.jp", "FE"),
    mp("A39IBJ37TRP1C6", "AU", "Amazon.com.au", "AUD", "en_AU", "www.amazon.com.au", "FE"),
    mp("A19VAU5U5O7RUS", "SG", "Amazon.sg", "SGD", "en_SG", "www.amazon.sg", "FE"),
];

/// The marketplace with this id.
pub fn marketplace(id: &str) -> Option<&'static Marketplace> {
    MARKETPLACES.iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spapi::role::{DIRECT_TO_CONSUMER_SHIPPING, INVENTORY_AND_ORDER_TRACKING, TAX_INVOICING, TAX_REMITTANCE};

    #[test]
    fn roles_are_found_however_they_are_spelled() {
        assert_eq!(role_named("direct to consumer shipping").unwrap().name, DIRECT_TO_CONSUMER_SHIPPING);
        assert!(role_named("Tax Invoicing").unwrap().restricted);
        assert!(!role_named("pricing").unwrap().restricted);
        assert!(role_named("Root access").is_none());
        for name in [DIRECT_TO_CONSUMER_SHIPPING, TAX_INVOICING, TAX_REMITTANCE, INVENTORY_AND_ORDER_TRACKING] {
            assert!(role_named(name).is_some(), "{name}");
        }
    }

    #[test]
    fn marketplace_ids_are_unique() {
        for (i, m) in MARKETPLACES.iter().enumerate() {
            assert!(MARKETPLACES[i + 1..].iter().all(|n| n.id != m.id && n.country_code != m.country_code), "{m:?}");
        }
        assert_eq!(marketplace("ATVPDKIKX0DER").unwrap().currency, "USD");
    }
}
