//! Decisions per second for the SP-API seller guide's policy set, alone and among 10 and 100
//! attached policies.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spcred_policy::{
    Context, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, Source, SourceType, decide, evaluate,
};
use std::hint::black_box;

/// The guide's `SellingPartnerAPI` policy.
const SP_API: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*"}]}"#;
/// The guide's inline STS policy letting the user assume the SP-API role.
const ASSUME_ROLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/SellingPartnerRole"}]}"#;
/// Read-only IAM access, as in the `IAMReadOnlyAccess` managed policy.
const IAM_READ_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#;

/// A policy for other resources: the kind of noise an account accumulates.
fn filler(i: usize) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage"],"Resource":"arn:aws:sqs:us-east-1:111122223333:queue-{i}"}},
            {{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/{i}","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}},
            {{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket-{i}/${{aws:username}}/*","Condition":{{"IpAddress":{{"aws:SourceIp":"203.0.113.0/24"}}}}}}]}}"#
    )
}

fn policies(total: usize) -> Vec<Policy> {
    let mut docs: Vec<String> = (0..total.saturating_sub(3)).map(filler).collect();
    docs.extend([SP_API, ASSUME_ROLE, IAM_READ_ONLY].map(String::from));
    docs.iter().map(|d| Policy::parse(d, PolicyKind::Identity).unwrap()).collect()
}

fn bench(c: &mut Criterion) {
    let user = Principal {
        arn: "arn:aws:iam::111122223333:user/sp-api-app".into(),
        account: "111122223333".into(),
        kind: PrincipalKind::User,
        userid: "AIDASPAPIAPPEXAMPLE1".into(),
        username: Some("sp-api-app".into()),
        tags: vec![("team".into(), "sellers".into())],
    };
    let mut context = Context::for_principal(&user);
    context.set_time(1_700_000_000);
    context.set("aws:SourceIp", "203.0.113.9");
    context.set("aws:SecureTransport", "true");
    context.set("aws:RequestedRegion", "us-east-1");
    let requests = [
        (
            "invoke",
            "execute-api:Invoke",
            "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/prod/GET/orders/v0/orders",
        ),
        ("assume-role", "sts:AssumeRole", "arn:aws:iam::111122223333:role/SellingPartnerRole"),
        ("iam-list", "iam:ListUsers", "*"),
        ("denied", "sqs:DeleteQueue", "arn:aws:sqs:us-east-1:111122223333:queue-1"),
    ];
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    for total in [3, 10, 100] {
        let set = policies(total);
        let sources: Vec<Source<'_>> =
            set.iter().map(|policy| Source { policy, id: "p", source_type: SourceType::UserManaged }).collect();
        let input = Input { identity: &sources, boundary: None, resource: None, session: None, identity_applies: true };
        for (name, action, resource) in requests {
            let request = Request { principal: &user, action, resource, context: &context };
            group.bench_with_input(BenchmarkId::new(name, total), &request, |b, r| {
                b.iter(|| decide(black_box(&input), black_box(r)));
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    for total in [3, 100] {
        let set = policies(total);
        let sources: Vec<Source<'_>> =
            set.iter().map(|policy| Source { policy, id: "p", source_type: SourceType::UserManaged }).collect();
        let input = Input { identity: &sources, boundary: None, resource: None, session: None, identity_applies: true };
        let (_, action, resource) = requests[0];
        let request = Request { principal: &user, action, resource, context: &context };
        group.bench_with_input(BenchmarkId::new("invoke", total), &request, |b, r| {
            b.iter(|| evaluate(black_box(&input), black_box(r)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("parse");
    for (name, doc) in
        [("sp-api", SP_API.to_string()), ("iam-read-only", IAM_READ_ONLY.to_string()), ("filler", filler(7))]
    {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(name, |b| b.iter(|| Policy::parse(black_box(&doc), PolicyKind::Identity)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
