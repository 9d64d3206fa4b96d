//! KMS Encrypt and Decrypt as the service runs them: seal and open a ciphertext blob (sealed
//! header naming key and version, payload under the key material, encryption context bound).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spcred_crypto::kms::{BlobOrigin, EncryptionContext, Envelope, KeyMaterial};
use spcred_crypto::{MasterKey, Purpose, SystemRandom};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let envelope = Envelope::new(MasterKey::generate(&SystemRandom).subkey(Purpose::KmsEnvelope));
    let material = KeyMaterial::generate(&SystemRandom);
    let origin = BlobOrigin { key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(), version: 1 };
    let context: EncryptionContext = [(
        "PARAMETER_ARN".to_owned(),
        "arn:aws:ssm:us-east-1:111122223333:parameter/my-erp/lwa/clientsecret".to_owned(),
    )]
    .into_iter()
    .collect();
    let mut group = c.benchmark_group("kms");
    for size in [32usize, 4096] {
        let plaintext = vec![0x5a; size];
        let blob = envelope.seal(&SystemRandom, &origin, &material, &plaintext, &context).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("encrypt/{size}B"), |b| {
            b.iter(|| envelope.seal(&SystemRandom, &origin, &material, black_box(&plaintext), &context).unwrap());
        });
        group.bench_function(format!("decrypt/{size}B"), |b| {
            b.iter(|| {
                let origin = envelope.origin(black_box(&blob)).unwrap();
                black_box(origin);
                envelope.open(black_box(&blob), &material, &context).unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
