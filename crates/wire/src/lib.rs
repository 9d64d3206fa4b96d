//! AWS wire protocols: classify, decode and encode awsQuery and awsJson.
