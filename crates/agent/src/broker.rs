//! Tokens: a seller's access token (refresh-token grant), a grantless token of a scope
//! (client-credentials grant) and restricted data tokens, all through the cache. LWA's answers
//! are classified here: `invalid_client` marks the secret rejected and raises the alarm (after one
//! more look at SSM, in case the secret was just rotated); `invalid_grant` marks that one seller
//! revoked while the others keep working.

use crate::cache::{Fresh, Key, Token};
use crate::config::Region;
use crate::error::Failure;
use crate::lwa::{Grant, LwaError};
use crate::metrics::{CACHE, EXCHANGES, RDTS};
use crate::proxy::Call;
use crate::{Agent, credentials::Versioned};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde::{Deserialize, Serialize};
use spapi::CREATE_RESTRICTED_DATA_TOKEN;
use std::sync::Arc;
use std::time::Duration;

/// The largest createRestrictedDataToken answer read.
const MAX_RDT_ANSWER: usize = 64 * 1024;
/// The most restricted resources in one token, as SP-API allows.
const MAX_RESOURCES: usize = 50;
/// An SSM reload this recent makes another look pointless when LWA refuses the secret.
const RECENT_RELOAD: Duration = Duration::from_secs(2);

/// One restricted resource, as createRestrictedDataToken takes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Resource {
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_elements: Option<Vec<String>>,
}

/// The canonical form of a resource set: the cache key of its token.
pub(crate) fn canonical(resources: &[Resource]) -> Result<String, Failure> {
    if resources.is_empty() || resources.len() > MAX_RESOURCES {
        return Err(Failure::BadRequest(format!("restrictedResources must hold 1 to {MAX_RESOURCES} resources")));
    }
    let mut sorted = resources.to_vec();
    for r in &mut sorted {
        if !r.path.starts_with('/') || r.method.is_empty() {
            return Err(Failure::BadRequest(format!("{:?} is not a restricted resource path", r.path)));
        }
        if let Some(e) = &mut r.data_elements {
            e.sort();
            e.dedup();
        }
    }
    sorted.sort();
    sorted.dedup();
    serde_json::to_string(&sorted).map_err(|e| Failure::BadRequest(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RdtAnswer {
    restricted_data_token: String,
    expires_in: u64,
}

impl Agent {
    /// The token of `key`, from the cache or fresh.
    pub(crate) async fn token(&self, key: &Key) -> Result<Arc<Token>, Failure> {
        let (token, lookup) = self
            .cache
            .get(key, || async {
                match key {
                    Key::Seller(seller) => {
                        let (_, refresh) = self.creds.seller(Some(seller))?;
                        self.exchange(Some((seller, &refresh)), Grant::RefreshToken(&refresh.value)).await
                    }
                    Key::Grantless(scope) => self.exchange(None, Grant::ClientCredentials(scope)).await,
                    Key::Rdt { region, seller, resources } => self.restricted(*region, seller, resources).await,
                }
            })
            .await?;
        self.metrics.inc(CACHE, &[("kind", key.kind()), ("result", lookup.label())]);
        Ok(token)
    }

    /// The seller `id` named by a request, or the default seller; checked against the
    /// credentials (unknown and revoked sellers are refused here).
    pub(crate) fn seller(&self, id: Option<&str>) -> Result<String, Failure> {
        Ok(self.creds.seller(id)?.0)
    }

    async fn exchange(&self, seller: Option<(&str, &Versioned)>, grant: Grant<'_>) -> Result<Fresh, Failure> {
        let mut looked_again = false;
        loop {
            let (id, secret) = self.creds.client()?;
            let result = self.lwa.exchange(&id, &secret.value, grant).await;
            let outcome = result.as_ref().map_or_else(LwaError::outcome, |_| "success");
            self.metrics.inc(EXCHANGES, &[("grant_type", grant.kind()), ("outcome", outcome)]);
            match result {
                Ok(issued) => return Ok(Fresh { value: issued.access_token, expires_in: issued.expires_in }),
                Err(LwaError::InvalidClient(reason)) => {
                    // A rotation may have stored a new secret since the last look.
                    if !looked_again && self.creds.reload_if_older(RECENT_RELOAD).await {
                        looked_again = true;
                        if self.creds.client().is_ok_and(|(_, s)| s.version != secret.version) {
                            continue;
                        }
                    }
                    tracing::error!(
                        alert = "client_secret_rejected",
                        parameter = %self.config.parameters.client_secret,
                        version = secret.version,
                        %reason,
                        "LWA rejected the client secret (invalid_client): it is wrong or expired; store the current one as a new version of the parameter"
                    );
                    return Err(self.creds.reject_client_secret(secret.version, &reason).into());
                }
                Err(LwaError::InvalidGrant(reason)) => {
                    // A grantless exchange has no grant to refuse; LWA saying so is its own error.
                    let Some((seller, refresh)) = seller else {
                        return Err(LwaError::InvalidGrant(reason).into());
                    };
                    tracing::warn!(seller, %reason, "LWA refused the seller's refresh token (invalid_grant): the seller is marked revoked; the other sellers keep working");
                    return Err(self.creds.revoke_seller(seller, refresh.version, &reason).into());
                }
                Err(e) => {
                    tracing::warn!(grant_type = grant.kind(), error = %e, "LWA gave no token");
                    return Err(e.into());
                }
            }
        }
    }

    /// A restricted data token for `resources` (canonical JSON), made with the seller's token.
    async fn restricted(&self, region: Region, seller: &str, resources: &str) -> Result<Fresh, Failure> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = format!("{{\"restrictedResources\":{resources}}}");
        let call = Call {
            region,
            method: Method::POST,
            path: CREATE_RESTRICTED_DATA_TOKEN.template.to_owned(),
            query: None,
            headers,
            body: body.into(),
            key: Key::Seller(seller.to_owned()),
            operation: Some(&CREATE_RESTRICTED_DATA_TOKEN),
        };
        // Boxed: a call fetches its token, which may be this very kind of call.
        let response = Box::pin(self.call(call)).await?;
        let status = response.status();
        if !status.is_success() {
            self.metrics.inc(RDTS, &[("outcome", status.as_str())]);
            return Err(Failure::Answer(Box::new(response)));
        }
        let body = axum::body::to_bytes(response.into_body(), MAX_RDT_ANSWER)
            .await
            .map_err(|e| Failure::Upstream(format!("reading the restricted data token failed: {e}")))?;
        let answer: RdtAnswer = serde_json::from_slice(&body).map_err(|_| {
            Failure::Upstream("createRestrictedDataToken answered without a restrictedDataToken".into())
        })?;
        self.metrics.inc(RDTS, &[("outcome", "200")]);
        Ok(Fresh {
            value: crypto::Secret::new(answer.restricted_data_token),
            expires_in: Duration::from_secs(answer.expires_in.clamp(1, 86_400)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str, elements: Option<&[&str]>) -> Resource {
        Resource {
            method: method.into(),
            path: path.into(),
            data_elements: elements.map(|e| e.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    #[test]
    fn one_resource_set_one_key_whatever_the_order() {
        let a = canonical(&[
            r("GET", "/orders/v0/orders/1/address", None),
            r("GET", "/orders/v0/orders", Some(&["shippingAddress", "buyerInfo"])),
        ])
        .unwrap();
        let b = canonical(&[
            r("GET", "/orders/v0/orders", Some(&["buyerInfo", "shippingAddress", "buyerInfo"])),
            r("GET", "/orders/v0/orders/1/address", None),
        ])
        .unwrap();
        assert_eq!(a, b);
        assert!(a.contains(r#""dataElements":["buyerInfo","shippingAddress"]"#), "{a}");
        assert!(canonical(&[]).is_err());
        assert!(canonical(&[r("GET", "orders", None)]).is_err());
        assert!(canonical(&vec![r("GET", "/x", None); 51]).is_err());
    }
}
