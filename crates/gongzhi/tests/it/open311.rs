//! Open311 GeoReport v2 as a generic client drives it (issue 18, begun):
//! discovery, services and a service's definition, create, fetch, list with
//! the spec's comma lists, tokens, errors with integer codes; every XML
//! answer read by a strict XML parser; CORS for browser clients.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::support::{App, Reply, dezhou, enc, user_token};

/// A strict parse: a document that is not well-formed fails the test.
fn xml(r: &Reply) -> roxmltree::Document<'_> {
    assert!(r.header("content-type").starts_with("text/xml"), "{}", r.header("content-type"));
    roxmltree::Document::parse(&r.body).unwrap_or_else(|e| panic!("not well-formed XML ({e}): {}", r.body))
}

fn child<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children().find(|c| c.has_tag_name(name))
}

db_test! {
    async fn a_generic_client_finds_files_and_follows_requests(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371402001009", "name": "丰华小区"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mine = admin.get("/api/v1/compounds?region=371402001009").await.json()["items"][0]["id"].as_i64().unwrap();
        let key = user_token(&db, "hotline", "worker", "371402001009").await;
        let anon = App::anonymous(&db);
        let post = |path: &str, body: String| {
            anon.send(Request::post(path).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body)).unwrap())
        };

        // Discovery: an object with the endpoint's absolute URL and its formats as a list.
        let d = anon.get_with("/open311/v2/discovery.json", "host", "gz.example.org").await;
        assert_eq!(d.status, 200);
        assert_eq!(d.header("access-control-allow-origin"), "*");
        let d = d.json();
        for k in ["changeset", "contact", "key_service"] {
            assert!(d[k].is_string(), "{k}: {d}");
        }
        let e = &d["endpoints"][0];
        assert_eq!((e["url"].as_str(), e["type"].as_str()), (Some("http://gz.example.org/open311/v2"), Some("production")));
        assert_eq!(e["formats"], json!(["application/json", "text/xml"]));
        let x = anon.get_with("/open311/v2/discovery.xml", "host", "gz.example.org").await;
        let doc = xml(&x);
        let formats: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
        assert_eq!(formats, ["application/json", "text/xml"]);
        assert_eq!(doc.root_element().tag_name().name(), "discovery");

        // Services: metadata is a boolean; each has a definition; an unknown one is 404 in its format.
        let s = anon.get("/open311/v2/services.json").await.json();
        let repair = s.as_array().unwrap().iter().find(|v| v["service_code"] == "repair").unwrap().clone();
        assert_eq!(repair["metadata"], Value::Bool(false));
        let doc_s = anon.get("/open311/v2/services.xml").await;
        let doc = xml(&doc_s);
        assert!(doc.descendants().any(|n| n.has_tag_name("metadata") && n.text() == Some("false")));
        let def = anon.get("/open311/v2/services/repair.json").await;
        assert_eq!(def.status, 200, "{}", def.body);
        assert_eq!(def.json(), json!({"service_code": "repair", "attributes": []}));
        let def = anon.get("/open311/v2/services/repair.xml").await;
        assert_eq!(xml(&def).root_element().tag_name().name(), "service_definition");
        let none = anon.get("/open311/v2/services/plumbing.xml").await;
        assert_eq!(none.status, 404);
        let doc = xml(&none);
        let code = doc.descendants().find(|n| n.has_tag_name("code")).and_then(|n| n.text());
        assert_eq!(code, Some("404"));

        // Create in both formats; errors carry integer codes; an unknown service is 404.
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={mine}&description={}", enc("单元门禁坏了"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let first = r.json()[0]["service_request_id"].as_i64().unwrap();
        let r = post("/open311/v2/requests.xml", format!("api_key={key}&service_code=roads&address_id={mine}&description=pothole")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let doc = xml(&r);
        let second: i64 = doc.descendants().find(|n| n.has_tag_name("service_request_id")).and_then(|n| n.text()).unwrap().parse().unwrap();
        let token = doc.descendants().find(|n| n.has_tag_name("token")).and_then(|n| n.text()).unwrap().to_owned();
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=plumbing&address_id={mine}&description=x")).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (404, Some(404)));
        let r = post("/open311/v2/requests.json", format!("service_code=repair&address_id={mine}&description=x")).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (403, Some(403)));
        // The spec's description bound: 4,000 characters.
        let long = "长".repeat(4000);
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={mine}&description={}", enc(&long))).await;
        assert_eq!(r.status, 201, "4,000 characters are taken");
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={mine}&description={}", enc(&format!("{long}长")))).await;
        assert_eq!(r.status, 400, "{}", r.body);

        // A body over the server's limit answers as an Open311 error in the format asked for.
        let huge = format!("api_key={key}&service_code=repair&address_id={mine}&description={}", "x".repeat(6 * 1024 * 1024));
        let r = post("/open311/v2/requests.xml", huge).await;
        assert_eq!(r.status, 413);
        assert_eq!(xml(&r).descendants().find(|n| n.has_tag_name("code")).and_then(|n| n.text()), Some("413"));

        // Fetch: the category's name, the responsible body, times with their offset.
        let one = anon.get(&format!("/open311/v2/requests/{first}.json?api_key={key}")).await.json();
        let v = &one[0];
        assert_eq!((v["service_code"].as_str(), v["address_id"].as_i64()), (Some("repair"), Some(mine)));
        assert_ne!(v["service_name"], v["service_code"], "the category's name, not its code");
        assert!(v["agency_responsible"].as_str().unwrap().contains("community"), "{v}");
        assert!(chrono::DateTime::parse_from_rfc3339(v["requested_datetime"].as_str().unwrap()).is_ok());
        let x = anon.get(&format!("/open311/v2/requests/{first}.xml?api_key={key}")).await;
        assert!(xml(&x).descendants().any(|n| n.has_tag_name("service_name")));

        // Lists: comma lists and repeated keys, both statuses, pages within bounds.
        let ids = |r: Reply| -> Vec<i64> {
            assert_eq!(r.status, 200, "{}", r.body);
            let mut v: Vec<i64> = r.json().as_array().unwrap().iter().map(|x| x["service_request_id"].as_i64().unwrap()).collect();
            v.sort_unstable();
            v
        };
        let q = |s: &str| {
            let (anon, uri) = (anon.clone(), format!("/open311/v2/requests.json?api_key={key}&{s}"));
            async move { anon.get(&uri).await }
        };
        assert_eq!(ids(q("service_code=roads").await), vec![second]);
        assert_eq!(ids(q("service_code=roads,greening").await), vec![second]);
        assert_eq!(ids(q("service_code=roads&service_code=repair").await).len(), 3);
        assert_eq!(ids(q("status=open,closed").await).len(), 3);
        assert_eq!(ids(q(&format!("service_request_id={first},{second}")).await), vec![first, second]);
        assert_eq!(ids(q("per_page=1&page=2").await).len(), 1);
        for bad in ["status=maybe", "per_page=0", "per_page=1001", "page=abc", "service_request_id=x"] {
            let r = q(bad).await;
            assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (400, Some(400)), "{bad}: {}", r.body);
        }
        let x = anon.get(&format!("/open311/v2/requests.xml?api_key={key}&service_code=roads,repair")).await;
        assert_eq!(xml(&x).descendants().filter(|n| n.has_tag_name("request")).count(), 3);

        // Tokens lead to their request.
        let t = anon.get(&format!("/open311/v2/tokens/{token}.xml?api_key={key}")).await;
        let doc = xml(&t);
        let req = doc.descendants().find(|n| n.has_tag_name("request")).unwrap();
        assert_eq!(child(req, "service_request_id").and_then(|n| n.text()), Some(second.to_string().as_str()));
    }
}
