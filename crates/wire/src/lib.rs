//! AWS wire protocols: classify, decode and encode awsQuery and awsJson.
//!
//! Everything is driven by botocore service models (`service-2.json`), so the protocol code is
//! generic and services only see typed input and output. Nothing here knows HTTP types: requests
//! and responses are plain strings, slices and header pairs.
//!
//! # Normalised values
//!
//! Decoders produce, encoders take, and [`validate`] checks one form of `serde_json::Value`,
//! the same for every protocol, so services (de)serialise typed structs from it without knowing
//! the protocol:
//!
//! - structures are objects keyed by member name (not by the wire name), maps are objects,
//!   lists are arrays; absent and `null` members, entries and elements are left out;
//! - integers and longs are integer numbers, floats and doubles are numbers, except the
//!   non-finite values, which are the strings `"NaN"`, `"Infinity"` and `"-Infinity"`;
//! - timestamps are epoch seconds: an integer, or a fractional number below the second;
//! - blobs are canonical base64 strings (standard alphabet, padded);
//! - booleans and strings are themselves; documents pass through untouched.
//!
//! Members the model does not know are ignored on input, as AWS does, and left out on output.
//!
//! # Example
//!
//! One request, end to end:
//!
//! ```
//! use serde_json::json;
//! use spcred_wire::{
//!     Detected, ErrorBody, RequestParts, ServiceModel, decode_query, detect, encode_query,
//!     encode_query_error, validate, validation_message,
//! };
//!
//! let model = ServiceModel::from_json(r#"{
//!   "metadata": {"protocol": "query", "apiVersion": "2010-05-08",
//!                "xmlNamespace": "https://iam.amazonaws.com/doc/2010-05-08/"},
//!   "operations": {"GetUser": {"name": "GetUser", "input": {"shape": "GetUserRequest"},
//!                  "output": {"shape": "GetUserResponse", "resultWrapper": "GetUserResult"}}},
//!   "shapes": {
//!     "GetUserRequest": {"type": "structure", "members": {"UserName": {"shape": "userNameType"}}},
//!     "GetUserResponse": {"type": "structure", "members": {"UserName": {"shape": "userNameType"}}},
//!     "userNameType": {"type": "string", "min": 1, "max": 64, "pattern": "[\\w+=,.@-]+"}}
//! }"#).unwrap();
//!
//! let headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
//! let req = RequestParts {
//!     method: "POST",
//!     path: "/",
//!     query: "",
//!     headers: &headers,
//!     body: b"Action=GetUser&Version=2010-05-08&UserName=",
//! };
//! let Detected::Query { action, params, .. } = detect(&req) else { panic!() };
//! let input = decode_query(&model, &action, &params).unwrap();
//! assert_eq!(input, json!({"UserName": ""}));
//!
//! if let Some(message) = validation_message(&validate(&model, &action, &input)) {
//!     let xml = encode_query_error(&model, &ErrorBody::new("ValidationError", &message, true, "rid"));
//!     assert!(xml.contains("<Code>ValidationError</Code>"));
//! }
//!
//! let xml = encode_query(&model, &action, &json!({"UserName": "bob"}), "rid");
//! assert!(xml.contains("<GetUserResult>\n    <UserName>bob</UserName>"));
//! ```

mod decode;
mod detect;
mod encode;
mod model;
mod path;
mod rest;
mod timestamp;
mod validate;

pub use decode::{DecodeError, MAX_KEY_LENGTH, MAX_KEY_SEGMENTS, decode_json, decode_query};
pub use detect::{Detected, MAX_QUERY_PARAMS, Malformed, RequestParts, detect};
pub use encode::{ErrorBody, JsonError, encode_json, encode_json_error, encode_query, encode_query_error};
pub use model::{ErrorShape, Http, JsonVersion, Metadata, ModelError, Operation, Protocol, ServiceModel};
pub use rest::{RestMatch, RestRequest, RestResponse, decode_rest_json, encode_rest_json, match_rest};
pub use validate::{ShownValue, Violation, validate, validation_message};
