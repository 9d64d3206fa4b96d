//! The AWS service models (generated from botocore by `tools/gen-models.py` into each service's
//! crate), parsed once by the service that embeds them.

use wire::ServiceModel;

/// Parses an embedded model. The models are compiled in and checked by each service's tests; a
/// failure here is a build defect.
pub fn load(name: &str, json: &str) -> ServiceModel {
    ServiceModel::from_json(json).unwrap_or_else(|e| panic!("the embedded {name} model does not parse: {e}"))
}
