//! The Data Portability LWA scopes the sandbox serves: each LWA scope (`portability::physical_orders`)
//! has an API scope id (`portability-physical-orders`) and a data category. Amazon documents the
//! category of `portability::customer_profile` (1); the others are the sandbox's assignment by
//! the kind of data, as the guidelines describe the categories.

/// A Data Portability scope.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scope {
    /// The LWA scope.
    pub name: &'static str,
    /// The scope id in API paths.
    pub id: &'static str,
    /// Its data category (1, 2 or 3).
    pub category: u8,
    /// What it holds.
    pub description: &'static str,
}

pub(crate) const SCOPES: &[Scope] = &[
    Scope {
        name: "portability::customer_profile",
        id: "portability-customer-profile",
        category: 1,
        description: "Profile photo, cover photo, bio and privacy settings",
    },
    Scope {
        name: "portability::search_history",
        id: "portability-search-history",
        category: 1,
        description: "Searches made on Amazon",
    },
    Scope {
        name: "portability::physical_orders",
        id: "portability-physical-orders",
        category: 2,
        description: "Orders of physical products",
    },
    Scope {
        name: "portability::physical_order_returns",
        id: "portability-physical-order-returns",
        category: 2,
        description: "Returns of physical orders",
    },
    Scope {
        name: "portability::digital_orders",
        id: "portability-digital-orders",
        category: 2,
        description: "Orders of digital products",
    },
    Scope { name: "portability::addresses", id: "portability-addresses", category: 3, description: "The address book" },
    Scope {
        name: "portability::payment_instruments",
        id: "portability-payment-instruments",
        category: 3,
        description: "Payment instruments on file (masked)",
    },
];

/// The scope with this LWA name.
pub(crate) fn by_name(name: &str) -> Option<&'static Scope> {
    SCOPES.iter().find(|s| s.name == name)
}

/// The scope with this API scope id.
pub(crate) fn by_id(id: &str) -> Option<&'static Scope> {
    SCOPES.iter().find(|s| s.id == id)
}

/// Resolves requested scope names (deduplicated, in order), refusing unknown ones.
pub(crate) fn parse_list(names: &[String]) -> Result<Vec<&'static str>, String> {
    if names.is_empty() || names.len() > SCOPES.len() * 2 {
        return Err(format!("name 1 to {} Data Portability scopes", SCOPES.len()));
    }
    let mut out: Vec<&'static str> = Vec::new();
    for n in names {
        let s = by_name(n).ok_or_else(|| {
            let known: Vec<&str> = SCOPES.iter().map(|s| s.name).collect();
            format!("{n:?} is not a Data Portability scope; the scopes are: {}", known.join(", "))
        })?;
        if !out.contains(&s.name) {
            out.push(s.name);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_ids_follow_the_lwa_names() {
        for s in SCOPES {
            assert_eq!(s.id, s.name.replace("::", "-").replace('_', "-"), "{}", s.name);
            assert!((1..=3).contains(&s.category));
        }
        assert_eq!(by_id("portability-physical-orders").unwrap().name, "portability::physical_orders");
        assert!(parse_list(&["portability::nope".into()]).unwrap_err().contains("portability::customer_profile"));
    }
}
