//! Object storage against real stores: two local roots, and a real
//! S3-compatible server (SeaweedFS, started by `scripts/test.sh`; named by
//! `ZENOME_TEST_S3_URL`, `ZENOME_TEST_S3_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`). Without those variables the S3 half is skipped
//! with a notice, except under CI.

use std::collections::BTreeMap;
use std::io::Write;

use sha2::{Digest, Sha256};
use zenome_objects::{ObjectError, StoreSpec, Stores, content_key};

fn local(name: &str, dir: &std::path::Path) -> StoreSpec {
    StoreSpec {
        name: name.into(),
        url: format!("file://{}", dir.join(name).display()),
        options: BTreeMap::new(),
    }
}

fn s3(secret: Option<&str>) -> Option<StoreSpec> {
    let (Ok(url), Ok(endpoint), Ok(key), Ok(sec)) = (
        std::env::var("ZENOME_TEST_S3_URL"),
        std::env::var("ZENOME_TEST_S3_ENDPOINT"),
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ZENOME_TEST_S3_URL must be set under CI: the S3 tests may not be skipped"
        );
        eprintln!("note: ZENOME_TEST_S3_URL is not set; skipping the S3 half of this test");
        return None;
    };
    let prefix = format!("{url}/t-{}", std::process::id());
    let mut options = BTreeMap::new();
    options.insert("endpoint".into(), endpoint);
    options.insert("allow_http".into(), "true".into());
    options.insert("region".into(), "us-east-1".into());
    options.insert("access_key_id".into(), key);
    options.insert(
        "secret_access_key".into(),
        secret.map(str::to_string).unwrap_or(sec),
    );
    options.insert("conditional_put".into(), "etag".into());
    Some(StoreSpec {
        name: "s3".into(),
        url: prefix,
        options,
    })
}

fn file_of(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

async fn exercise(stores: &Stores, a: &str, b: &str) {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&data));
    let key = content_key(&sha);
    assert!(key.starts_with("sha256/") && key.ends_with(".c4gh"));
    assert_eq!(stores.size(a, &key).await.unwrap(), None);
    let f = file_of(&data);
    assert_eq!(
        stores.put_file(a, &key, f.path()).await.unwrap(),
        data.len() as u64
    );
    assert_eq!(stores.size(a, &key).await.unwrap(), Some(data.len() as u64));
    assert_eq!(
        stores.digest(a, &key).await.unwrap(),
        Some((sha.clone(), data.len() as u64))
    );
    never_overwritten(stores, a, &key, &sha, data.len() as u64).await;
    let r = stores.range(a, &key, 1_000_000..1_000_100).await.unwrap();
    assert_eq!(&r[..], &data[1_000_000..1_000_100]);
    // copy to the other store, as the scrub repairs
    assert_eq!(stores.copy(a, b, &key).await.unwrap(), data.len() as u64);
    assert_eq!(
        stores.digest(b, &key).await.unwrap(),
        Some((sha, data.len() as u64))
    );
    // the copy exists now: copying again is refused, the copy stays intact
    assert!(matches!(
        stores.copy(a, b, &key).await,
        Err(ObjectError::Exists { .. })
    ));
    assert_eq!(
        stores.digest(b, &key).await.unwrap().map(|d| d.1),
        Some(data.len() as u64)
    );
    stores.delete(a, &key).await.unwrap();
    assert_eq!(stores.digest(a, &key).await.unwrap(), None);
    stores.delete(a, &key).await.unwrap();
    stores.delete(b, &key).await.unwrap();
}

/// A second write to a key that holds an object is refused, whatever the
/// write, and the object keeps its bytes (identical content uploaded twice
/// once replaced the first upload's object).
async fn never_overwritten(stores: &Stores, a: &str, key: &str, sha: &str, len: u64) {
    let small = file_of(b"other bytes");
    assert!(
        matches!(
            stores.put_file(a, key, small.path()).await,
            Err(ObjectError::Exists { .. })
        ),
        "a small put over an object"
    );
    let big: Vec<u8> = vec![7u8; zenome_objects::ATOMIC_PUT as usize + 10];
    let big = file_of(&big);
    assert!(
        matches!(
            stores.put_file(a, key, big.path()).await,
            Err(ObjectError::Exists { .. })
        ),
        "a put in parts over an object"
    );
    assert!(matches!(
        stores.put_bytes(a, key, b"index".to_vec()).await,
        Err(ObjectError::Exists { .. })
    ));
    assert!(matches!(
        stores.link_file(a, key, small.path()).await,
        Ok(false) | Err(ObjectError::Exists { .. })
    ));
    assert_eq!(
        stores.digest(a, key).await.unwrap(),
        Some((sha.to_string(), len)),
        "the object keeps its bytes"
    );
    // a large object (written in parts) to a free key, then refused too
    let big: Vec<u8> = (0..zenome_objects::ATOMIC_PUT as u32 + 4096)
        .map(|i| (i % 241) as u8)
        .collect();
    let bkey = format!("{key}.big");
    let f = file_of(&big);
    assert_eq!(
        stores.put_file(a, &bkey, f.path()).await.unwrap(),
        big.len() as u64
    );
    assert_eq!(
        stores.digest(a, &bkey).await.unwrap(),
        Some((hex::encode(Sha256::digest(&big)), big.len() as u64))
    );
    assert!(matches!(
        stores.put_file(a, &bkey, f.path()).await,
        Err(ObjectError::Exists { .. })
    ));
    stores.delete(a, &bkey).await.unwrap();
    // a small object written in one conditional request is refused too
    let ikey = format!("{key}.index");
    stores.put_bytes(a, &ikey, b"first".to_vec()).await.unwrap();
    assert!(matches!(
        stores.put_bytes(a, &ikey, b"second".to_vec()).await,
        Err(ObjectError::Exists { .. })
    ));
    assert_eq!(&stores.range(a, &ikey, 0..5).await.unwrap()[..], b"first");
    stores.delete(a, &ikey).await.unwrap();
}

#[tokio::test]
async fn two_local_roots() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::open(&[local("site-a", dir.path()), local("site-b", dir.path())]).unwrap();
    exercise(&stores, "site-a", "site-b").await;
    assert!(
        Stores::open(&[local("x", dir.path()), local("x", dir.path())]).is_err(),
        "names are unique"
    );
    let bad = StoreSpec {
        name: "y".into(),
        url: "ftp://example/x".into(),
        options: BTreeMap::new(),
    };
    assert!(
        Stores::open(&[bad])
            .unwrap_err()
            .to_string()
            .contains("unsupported scheme")
    );
}

#[tokio::test]
async fn local_and_real_s3() {
    let Some(spec) = s3(None) else { return };
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::open(&[local("site-a", dir.path()), spec.clone()]).unwrap();
    exercise(&stores, "site-a", "s3").await;
    exercise(&stores, "s3", "site-a").await;
    assert!(format!("{:?}", spec.redacted()).contains("[redacted]"));
}

#[tokio::test]
async fn s3_refuses_a_wrong_secret() {
    let Some(spec) = s3(Some("not-the-secret")) else {
        return;
    };
    let stores = Stores::open(&[spec]).unwrap();
    let f = file_of(b"x");
    let err = stores
        .put_file("s3", "sha256/00/x.c4gh", f.path())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("store s3"), "{err}");
}

async fn write_once(stores: &Stores, store: &str) {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = format!("once-{nonce}");
    let key = format!("{dir}/00000000000000000007-abc.json");
    assert_eq!(
        stores
            .put_once(store, &key, b"first".to_vec())
            .await
            .unwrap(),
        zenome_objects::PutOnce::Created
    );
    // a second write of the same key is refused by the store: the first stays
    assert_eq!(
        stores
            .put_once(store, &key, b"forged".to_vec())
            .await
            .unwrap(),
        zenome_objects::PutOnce::Exists
    );
    assert_eq!(
        stores.read_all(store, &key).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    let other = format!("{dir}/00000000000000000012-def.json");
    stores
        .put_once(store, &other, b"second".to_vec())
        .await
        .unwrap();
    let listed = stores.list_keys(store, &dir).await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, [key.as_str(), other.as_str()]);
    assert_eq!(listed[0].size, 5);
    assert!(listed[0].modified_ms > 0);
    assert!(
        stores
            .list_keys(store, "nothing-here")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        stores.read_all(store, "nothing-here/x").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn write_once_objects_are_never_replaced_locally_or_on_s3() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::open(&[local("site-a", dir.path())]).unwrap();
    write_once(&stores, "site-a").await;
    let Some(spec) = s3(None) else { return };
    let stores = Stores::open(&[spec]).unwrap();
    write_once(&stores, "s3").await;
}
