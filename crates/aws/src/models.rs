//! The AWS service models (generated from botocore by `tools/gen-models.py`), parsed once.

use std::sync::LazyLock;
use wire::ServiceModel;

fn load(name: &str, json: &str) -> ServiceModel {
    // The models are compiled in and checked by the tests; a failure here is a build defect.
    ServiceModel::from_json(json).unwrap_or_else(|e| panic!("the embedded {name} model does not parse: {e}"))
}

/// STS.
pub static STS: LazyLock<ServiceModel> = LazyLock::new(|| load("sts", include_str!("../models/sts.json")));

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_model_parses() {
        let _ = &*super::STS;
    }
}
