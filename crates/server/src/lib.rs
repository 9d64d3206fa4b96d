//! Composition root of spcred serve: config, storage, services, router, workers.
