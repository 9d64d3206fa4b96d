//! Helpers shared by the integration tests: the AWS test-suite request format and the suite's
//! credentials.

#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};

use spcred_sigv4::{Credentials, Request, SecretKey};

/// The suite's credentials and signing time.
pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const SERVICE: &str = "service";

pub fn time() -> jiff::Timestamp {
    "2015-08-30T12:36:00Z".parse().unwrap()
}

pub fn secret() -> SecretKey {
    SecretKey::new(SECRET)
}

pub fn creds(token: Option<&str>) -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET, token.map(str::to_owned))
}

pub fn testdata() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/sigv4")).to_path_buf()
}

/// An owned HTTP request, as written in the suite's `.req` and `.sreq` files.
#[derive(Debug, Clone)]
pub struct Http {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Http {
    /// Parses `METHOD target HTTP/1.1`, `Name:value` lines (a line starting with whitespace
    /// continues the previous value, kept with its line break), a blank line and the body.
    pub fn parse(text: &str) -> Self {
        let mut lines = text.split('\n');
        let request_line = lines.next().unwrap();
        let request_line = request_line.strip_suffix(" HTTP/1.1").unwrap_or(request_line);
        let (method, target) = request_line.split_once(' ').unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body = None;
        for line in lines.by_ref() {
            if line.is_empty() {
                body = Some(());
                break;
            }
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push('\n');
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = body.map(|()| lines.collect::<Vec<_>>().join("\n")).unwrap_or_default();
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.into_bytes(),
        }
    }

    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    pub fn request<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
        Request { method: &self.method, path: &self.path, query: &self.query, headers, body: &self.body }
    }

    pub fn without(&self, name: &str) -> Self {
        let mut out = self.clone();
        out.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        out
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }
}

/// The `.sreq` request, checked to carry the `.authz` authorization, except for the known
/// garbled case, which gets the `.authz` one instead.
fn signed_request(sreq: &str, authz: &str, name: &str) -> Http {
    let mut http = Http::parse(sreq);
    let auth = http.headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap();
    if name == GARBLED_SREQ {
        assert_ne!(auth.1.trim(), authz, "{name}.sreq was fixed upstream");
        authz.clone_into(&mut auth.1);
    }
    assert_eq!(auth.1.trim(), authz, "{name}");
    http
}

/// One case of the classic suite: `<dir>/<name>.{req,creq,sts,authz,sreq}`.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub req: Http,
    pub creq: String,
    pub sts: String,
    pub authz: String,
    pub sreq: Http,
}

impl Case {
    /// The signed header names listed in the expected `Authorization`.
    pub fn signed_headers(&self) -> Vec<String> {
        let list = self.authz.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        list.split(';').map(str::to_owned).collect()
    }

    /// The session token the case signs with, if its signed headers include one.
    pub fn token(&self) -> Option<&str> {
        self.signed_headers()
            .iter()
            .any(|h| h == "x-amz-security-token")
            .then(|| self.sreq.header("x-amz-security-token").unwrap())
    }
}

/// The one case whose `.sreq` is known to be wrong upstream: its `Authorization` carries a
/// garbled signature (a rotation of the session token), while its `.authz` is right.
pub const GARBLED_SREQ: &str = "get-vanilla-with-session-token";

/// Every case of the classic suite (the folders holding a `<name>.req`), sorted by name.
pub fn classic_cases() -> Vec<Case> {
    fn walk(dir: &Path, out: &mut Vec<Case>) {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let file = |ext: &str| dir.join(format!("{name}.{ext}"));
        if file("req").exists() {
            let read = |ext: &str| std::fs::read_to_string(file(ext)).unwrap();
            out.push(Case {
                name: name.clone(),
                req: Http::parse(&read("req")),
                creq: read("creq"),
                sts: read("sts"),
                authz: read("authz"),
                sreq: signed_request(&read("sreq"), &read("authz"), &name),
            });
        }
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&testdata(), &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
