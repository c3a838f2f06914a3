//! Open311 GeoReport v2 as a generic client drives it (issue 18): discovery,
//! services and a service's definition, create by each of the three kinds of
//! location in JSON and XML, fetch with and without a key, list with the
//! spec's comma lists, tokens, errors with integer codes (also 413 and 414);
//! every XML answer read by a strict XML parser; CORS for browser clients;
//! the region switch that closes the public view.

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
        let community = admin.get("/api/v1/regions/371402001009").await.json()["name"].as_str().unwrap().to_owned();
        assert_eq!(v["agency_responsible"], community.as_str(), "no company serves it: its community answers");
        assert!(v["requested_datetime"].as_str().unwrap().ends_with("+08:00"), "{v}");
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

    async fn clients_locate_by_point_or_address_and_read_without_a_key(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let add = |community: &str, name: &str, lat: f64, long: f64| {
            let (admin, body) = (admin.clone(), json!({"region": community, "name": name, "lat": lat, "long": long}));
            async move {
                let r = admin.json("POST", "/api/v1/compounds", body).await;
                assert_eq!(r.status, 201, "{}", r.body);
                let c = r.json();
                assert_eq!((c["lat"].as_f64(), c["long"].as_f64()), (Some(lat), Some(long)));
                c["id"].as_i64().unwrap()
            }
        };
        let fenghua = add("371402001009", "丰华小区", 37.4513, 116.3575).await;
        // About 520 m north: within reach of a point, but farther than 丰华小区.
        let second = add("371402001009", "丰华小区二期", 37.4560, 116.3575).await;
        // Nearest of all to the point below, but outside the key's scope.
        let other = add("371428001002", "畅和名居", 37.45141, 116.35761).await;
        // The registry refuses bad points: a letter, a swap, one without the other.
        let bad = |body: Value| {
            let admin = admin.clone();
            async move { admin.json("PATCH", &format!("/api/v1/compounds/{fenghua}"), body).await }
        };
        for (body, field) in [
            (json!({"lat": "abc", "long": 116.3}), "lat"),
            (json!({"lat": 116.3575, "long": 37.4513}), "lat"),
            (json!({"lat": 37.4513}), "long"),
        ] {
            let r = bad(body.clone()).await;
            assert_eq!(r.status, 422, "{body}: {}", r.body);
            assert_eq!(r.json()["error"]["fields"][0]["field"], field, "{body}: {}", r.body);
        }
        let key = user_token(&db, "hotline", "worker", "371402001009").await;
        let anon = App::anonymous(&db);
        let post = |path: &str, body: String| {
            anon.send(Request::post(path).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body)).unwrap())
        };
        let created = |r: Reply| -> (i64, String) {
            assert_eq!(r.status, 201, "{}", r.body);
            let v = r.json();
            (v[0]["service_request_id"].as_i64().unwrap(), v[0]["service_notice"].as_str().unwrap_or("").to_owned())
        };
        let compound_of = |id: i64| {
            let uri = format!("/open311/v2/requests/{id}.json?api_key={key}");
            let anon = anon.clone();
            async move { anon.get(&uri).await.json()[0].clone() }
        };

        // By lat and long: the nearest compound, with the distance in the notice.
        let phone = "138-1234-5678";
        let (by_point, notice) = created(post("/open311/v2/requests.json", format!(
            "api_key={key}&service_code=repair&lat=37.45132&long=116.35752&address_string={}&media_url={}&description={}",
            enc("丰华小区 3号楼"), enc("https://img.example.cn/door.jpg"), enc(&format!("门禁坏了，电话{phone}")))).await);
        assert!(notice.contains("丰华小区") && notice.contains(" m)"), "{notice}");
        let v = compound_of(by_point).await;
        assert_eq!(v["address_id"], fenghua);
        assert_eq!((v["lat"].as_f64(), v["long"].as_f64()), (Some(37.45132), Some(116.35752)), "the point as reported");
        // A point at a compound the key may not report in is refused, never filed into its neighbour.
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&lat=37.45141&long=116.35761&description=x")).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("not one you may report in") && !r.body.contains("畅和"), "{}", r.body);
        // A point far from the compound named by address_id is refused too.
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={fenghua}&lat=37.60&long=116.10&description=x")).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(v["media_url"], "https://img.example.cn/door.jpg");
        assert_eq!(v["address"], "丰华小区 3号楼", "the compound's name is not repeated in the place");
        // In XML too.
        let r = post("/open311/v2/requests.xml", format!("api_key={key}&service_code=roads&lat=37.4559&long=116.3576&description=pothole")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let doc = xml(&r);
        let id: i64 = doc.descendants().find(|n| n.has_tag_name("service_request_id")).and_then(|n| n.text()).unwrap().parse().unwrap();
        assert_eq!(compound_of(id).await["address_id"], second);
        // Nothing within reach: a clear error, and nothing written.
        let problems = || {
            let db = db.clone();
            async move { db::backup::counts(&db).await.unwrap().into_iter().find(|(t, _)| t == "problem").unwrap().1 }
        };
        let before = problems().await;
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&lat=37.60&long=116.10&description=x")).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (400, Some(400)), "{}", r.body);
        assert!(r.json()[0]["description"].as_str().unwrap().contains("1000 m"), "{}", r.body);
        assert_eq!(problems().await, before, "nothing written");
        // Bad coordinates are refused even beside an address_id.
        for q in ["lat=abc&long=116.3", "lat=999&long=116.3", "lat=NaN&long=116.3", "lat=37.4&long=inf", "lat=37.4"] {
            let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={fenghua}&{q}&description=x")).await;
            assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (400, Some(400)), "{q}: {}", r.body);
        }
        let r = post("/open311/v2/requests.xml", format!("api_key={key}&service_code=repair&address_id={fenghua}&lat=abc&long=1&description=x")).await;
        assert_eq!(r.status, 400);
        assert_eq!(xml(&r).descendants().find(|n| n.has_tag_name("code")).and_then(|n| n.text()), Some("400"));

        // By address_string: the compound named in it (the longest name it holds); a fragment
        // shared by two is an error listing both; a compound outside the scope is not found, nor named.
        let (by_name, notice) = created(post("/open311/v2/requests.json", format!(
            "api_key={key}&service_code=repair&address_string={}&description=x", enc("丰华小区二期 3栋2单元"))).await);
        assert!(notice.contains("丰华小区二期"), "{notice}");
        assert_eq!(compound_of(by_name).await["address_id"], second);
        let r = post("/open311/v2/requests.xml", format!("api_key={key}&service_code=repair&address_string={}&description=x", enc("丰华小区"))).await;
        assert_eq!(r.status, 201, "an exact name: {}", r.body);
        xml(&r);
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_string={}&description=x", enc("丰华"))).await;
        assert_eq!(r.status, 400);
        let why = r.json()[0]["description"].as_str().unwrap().to_owned();
        assert!(why.contains(&format!("address_id {fenghua}")) && why.contains(&format!("address_id {second}")), "{why}");
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_string={}&description=x", enc("畅和名居"))).await;
        assert_eq!(r.status, 400);
        assert!(!r.body.contains(&format!("address_id {other}")), "{}", r.body);
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_string={}&description=x", "a".repeat(50_000))).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (400, Some(400)), "a long address_string: {}", r.body);
        // A form in another charset is refused, not stored garbled; the media type is read in any case.
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={fenghua}&description=%B2%E2%CA%D4")).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = anon.send(Request::post("/open311/v2/requests.json").header("content-type", "Application/X-WWW-Form-Urlencoded")
            .body(Body::from(format!("api_key={key}&service_code=repair&address_id={fenghua}&description=x"))).unwrap()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = anon.send(Request::post("/open311/v2/requests.json").header("content-type", "application/json").body(Body::from("{}")).unwrap()).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (415, Some(415)), "{}", r.body);
        // A media_url that is not a web address is refused.
        let r = post("/open311/v2/requests.json", format!("api_key={key}&service_code=repair&address_id={fenghua}&media_url={}&description=x", enc("javascript:alert(1)"))).await;
        assert_eq!(r.status, 400, "{}", r.body);

        // Without a key: the public view. No place inside the compound, the compound's point
        // (not the one reported), no media, long numbers masked.
        let p = anon.get(&format!("/open311/v2/requests/{by_point}.json")).await;
        assert_eq!(p.status, 200, "{}", p.body);
        let v = &p.json()[0];
        assert_eq!(v["address"], "丰华小区");
        assert_eq!((v["lat"].as_f64(), v["long"].as_f64()), (Some(37.4513), Some(116.3575)));
        assert_eq!(v["media_url"], Value::Null);
        let d = v["description"].as_str().unwrap();
        assert!(!d.contains("1234") && d.ends_with("***-****-**78"), "{d}");
        assert!(!p.body.contains("hotline"), "no reporter: {}", p.body);
        let x = anon.get(&format!("/open311/v2/requests/{by_point}.xml")).await;
        assert_eq!(xml(&x).descendants().find(|n| n.has_tag_name("address")).and_then(|n| n.text()), Some("丰华小区"));
        let listed = anon.get("/open311/v2/requests.json?service_code=repair,roads").await;
        assert_eq!(listed.status, 200);
        assert!(listed.json().as_array().unwrap().len() >= 4, "{}", listed.body);
        assert!(!listed.body.contains(phone));
        // Ids override every other argument (the spec).
        let r = anon.get(&format!("/open311/v2/requests.json?service_request_id={by_point}&status=closed&service_code=roads")).await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{}", r.body);
        assert_eq!(anon.get(&format!("/open311/v2/tokens/{by_point}.json")).await.status, 200);
        // A key that is not valid is refused, never read as no key.
        assert_eq!(anon.get(&format!("/open311/v2/requests/{by_point}.json?api_key=gz_wrong")).await.status, 403);

        // A region closes its public view: its reports leave it; a key still reads them.
        let worker = App::anonymous(&db).with_token(&key);
        let r = worker.json("PUT", "/api/v1/regions/371402001009/open311", json!({"public": false})).await;
        assert_eq!(r.status, 403, "a worker does not decide: {}", r.body);
        let r = admin.json("PUT", "/api/v1/regions/371402/open311", json!({"public": false})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json(), json!({"code": "371402", "public": false, "closed_by": "371402"}));
        // Opening the community does not open what its county closed.
        let r = admin.json("PUT", "/api/v1/regions/371402001009/open311", json!({"public": true})).await;
        assert_eq!(r.json()["closed_by"], "371402", "{}", r.body);
        assert_eq!(anon.get(&format!("/open311/v2/requests/{by_point}.json")).await.status, 404);
        assert_eq!(anon.get(&format!("/open311/v2/tokens/{by_point}.json")).await.status, 404);
        assert_eq!(anon.get("/open311/v2/requests.json").await.json(), json!([]));
        assert_eq!(anon.get(&format!("/open311/v2/requests/{by_point}.json?api_key={key}")).await.status, 200);
        let r = admin.json("PUT", "/api/v1/regions/371402/open311", json!({"public": true})).await;
        assert_eq!(r.json()["public"], true, "{}", r.body);
        assert_eq!(anon.get(&format!("/open311/v2/requests/{by_point}.json")).await.status, 200);
        let (log, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(50))).await.unwrap();
        let switched = log.iter().filter(|r| r.entity == "region" && r.after.contains("open311_public")).count();
        assert_eq!(switched, 2, "each switch is in the audit log (the community's no-op is not)");

        // A request line over the limit: 414 as an Open311 error, in the format asked for.
        let long = format!("/open311/v2/requests.xml?service_request_id={}", "1,".repeat(17_000));
        let r = anon.get(&long).await;
        assert_eq!(r.status, 414);
        assert_eq!(r.header("access-control-allow-origin"), "*");
        assert_eq!(xml(&r).descendants().find(|n| n.has_tag_name("code")).and_then(|n| n.text()), Some("414"));
        // Other methods: a browser's preflight is answered; anything else is an Open311 405.
        let r = anon.send(Request::options("/open311/v2/requests.json").body(Body::empty()).unwrap()).await;
        assert_eq!((r.status.as_u16(), r.header("access-control-allow-methods")), (204, "GET, POST, OPTIONS"));
        let r = anon.send(Request::delete("/open311/v2/requests.json").body(Body::empty()).unwrap()).await;
        assert_eq!((r.status.as_u16(), r.json()[0]["code"].as_i64()), (405, Some(405)), "{}", r.body);
        assert_eq!(anon.get("/open311/v2/").await.json()[0]["code"], 404);
    }
}
