//! The grant's data (issue 15 item 1), on SQLite and PostgreSQL: after
//! approval a researcher lists the files they may read now — with DRS id,
//! `drs://` URI, checksums — and downloads the manifest; the DRS id works
//! at `/ga4gh/drs/v1/objects/{id}`; other people get 403/404; a consent
//! withdrawn after approval takes the participant's files off the list.

use http::StatusCode;
use md5::Digest as _;
use serde_json::json;

use crate::files::fastq;
use crate::harness::Env;

async fn a_grant_lists_its_files_and_a_manifest(e: Env) {
    let (s, run) = e.run().await;
    let st = e.upload_fastq(&run, &fastq(300, 6), 1).await;
    crate::clinical::submit_ok(&e, &s.pid, crate::clinical::cancer_record(&s.pid)).await;
    let object = st["object_id"].as_str().unwrap().to_string();
    let r = e
        .call("POST", "/api/v1/datasets", Some("staff"), Some(json!({"id": "fq-ds", "title": "FASTQ", "title_ja": "FASTQ", "security_level": "3", "data_types": ["fastq", "vcf"], "requirement_scope": "health_medical"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    e.call(
        "POST",
        "/api/v1/datasets/fq-ds/members",
        Some("staff"),
        Some(json!({"participants": [s.pid]})),
    )
    .await;
    let mut app = crate::access::application(&["fq-ds"], &["fastq"]);
    app["fastq_need"] = json!("Re-calling variants with a new aligner requires the raw reads.");
    let r = e
        .call("POST", "/api/v1/applications", Some("academic"), Some(app))
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call("GET", "/api/v1/grants", Some("academic"), None)
        .await;
    let grant = r.json[0]["id"].as_str().unwrap().to_string();

    let files = format!("/api/v1/grants/{grant}/files");
    let r = e.call("GET", &files, Some("academic"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["total"], 1, "{}", r.text);
    let f = &r.json["files"][0];
    assert_eq!(f["id"], object.as_str());
    assert_eq!(f["participant_id"], s.pid.as_str());
    assert_eq!(f["data_type"], "fastq");
    assert_eq!(f["filename"], "sample_R1.fastq");
    let bytes = fastq(300, 6);
    assert_eq!(f["md5"], hex::encode(md5::Md5::digest(&bytes)));
    assert_eq!(f["size"], bytes.len());
    assert!(f["drs_uri"].as_str().unwrap().starts_with("drs://"), "{f}");
    assert!(f["drs_uri"].as_str().unwrap().ends_with(&object));
    assert!(f["htsget_url"].is_null(), "no htsget for FASTQ");
    // the DRS id is the one DRS answers to
    let r = e
        .call(
            "GET",
            &format!("/ga4gh/drs/v1/objects/{object}"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // filters and paging
    for (q, n) in [
        ("?data_type=vcf", 0),
        ("?data_type=fastq", 1),
        ("?disease_area=rare_disease", 0),
        ("?offset=1", 0),
    ] {
        let r = e
            .call("GET", &format!("{files}{q}"), Some("academic"), None)
            .await;
        assert_eq!(
            r.json["files"].as_array().unwrap().len(),
            n,
            "{q}: {}",
            r.text
        );
    }
    for q in [
        "?data_type=bam",
        "?limit=0",
        "?disease_area=がん",
        "?colour=red",
    ] {
        let r = e
            .call("GET", &format!("{files}{q}"), Some("academic"), None)
            .await;
        assert!(r.status.is_client_error(), "{q}: {}", r.text);
    }
    // the manifest: GDC's columns first
    let r = e
        .call(
            "GET",
            &format!("/api/v1/grants/{grant}/manifest"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/tab-separated-values")
    );
    let lines: Vec<&str> = r.text.lines().collect();
    assert!(
        lines[0].starts_with("id\tfilename\tmd5\tsize\tstate"),
        "{}",
        r.text
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].starts_with(&format!("{object}\tsample_R1.fastq\t")),
        "{}",
        r.text
    );
    let r = e
        .call(
            "GET",
            &format!("/api/v1/grants/{grant}/manifest?format=json"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.json[0]["id"], object.as_str(), "{}", r.text);
    // who else
    for (who, status) in [
        ("dac", 403),
        ("staff", 403),
        ("industry", 404),
        ("facility", 404),
    ] {
        let r = e.call("GET", &files, Some(who), None).await;
        assert_eq!(r.status.as_u16(), status, "{who}: {}", r.text);
    }
    let r = e.call("GET", &files, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // the participant withdraws: their files leave the list
    let w = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", s.pid),
            Some("facility"),
            Some(json!({"action": "withdraw"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let r = e.call("GET", &files, Some("academic"), None).await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
}

crate::on_both_engines!(a_grant_lists_its_files_and_a_manifest);
