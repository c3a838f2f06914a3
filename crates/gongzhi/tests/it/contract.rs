//! The OpenAPI document against what the server really answers: every
//! operation is driven without credentials, with a malformed path or body,
//! by a caller from elsewhere, and (for reads) by one who may; each answer's
//! status must be one the document lists for that operation, and every error
//! must have the documented shape.

use serde_json::{Value, json};

use crate::support::{App, Reply, dezhou, user_token};

fn documented(doc: &Value, path: &str, method: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"].as_object().map(|r| r.keys().cloned().collect()).unwrap_or_default()
}

fn check(doc: &Value, path: &str, method: &str, what: &str, r: &Reply, failures: &mut Vec<String>) {
    let listed = documented(doc, path, method);
    let code = r.status.as_u16().to_string();
    if !listed.contains(&code) {
        failures.push(format!("{method} {path} ({what}): answered {code}, documented {listed:?}"));
    }
    if r.status.is_client_error() {
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        if !body["error"]["code"].is_string() || !body["error"]["message"].is_string() {
            failures.push(format!("{method} {path} ({what}): {code} without an ErrorBody: {}", r.body));
        }
    }
}

/// Whether `v` is what `schema` (OpenAPI 3.1, as utoipa writes it) says:
/// types, required and undocumented fields, enums, items; each mismatch is
/// pushed on `out` with where it is (`at`).
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    check_value(doc, schema, v, at, true, out)
}

/// The properties `schema` documents, through references and `allOf`.
fn documented_fields(doc: &Value, schema: &Value, into: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return documented_fields(doc, &doc["components"]["schemas"][name], into);
    }
    into.extend(schema["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()));
    for all in schema["allOf"].as_array().into_iter().flatten() {
        documented_fields(doc, all, into);
    }
}

/// `strict`: a field the schema (with its `allOf` parts) does not list is a mismatch.
fn check_value(doc: &Value, schema: &Value, v: &Value, at: &str, strict: bool, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return check_value(doc, &doc["components"]["schemas"][name], v, at, strict, out);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            check_value(doc, part, v, at, false, out);
        }
        if strict && let Some(fields) = v.as_object() {
            let mut known = Vec::new();
            documented_fields(doc, schema, &mut known);
            for k in fields.keys().filter(|k| !known.contains(k)) {
                out.push(format!("{at}: field {k} is not in the document"));
            }
        }
        return;
    }
    let alternatives = schema["oneOf"].as_array().or(schema["anyOf"].as_array());
    if let Some(alts) = alternatives {
        let fits = alts.iter().any(|a| {
            let mut e = Vec::new();
            check_value(doc, a, v, at, strict, &mut e);
            e.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {v} fits none of {}", Value::Array(alts.clone())));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let is = |t: &str| match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        out.push(format!("{at}: {v} is not {types:?}"));
        return;
    }
    if let Some(vals) = schema["enum"].as_array()
        && !v.is_null()
        && !vals.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {}", Value::Array(vals.clone())));
    }
    if let Some(fields) = v.as_object() {
        let props = schema["properties"].as_object();
        for req in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(req) {
                out.push(format!("{at}: required field {req} is missing"));
            }
        }
        for (k, fv) in fields {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, fv, &format!("{at}.{k}"), out),
                None if schema["additionalProperties"].is_object() => {
                    conforms(doc, &schema["additionalProperties"], fv, &format!("{at}.{k}"), out)
                }
                None if strict && props.is_some() => out.push(format!("{at}: field {k} is not in the document")),
                None => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        for (i, x) in items.iter().enumerate() {
            let s = schema["prefixItems"].get(i).unwrap_or(&schema["items"]);
            if !s.is_null() {
                conforms(doc, s, x, &format!("{at}[{i}]"), out);
            }
        }
    }
}

async fn send(app: &App, method: &str, uri: &str, body: Option<&str>) -> Reply {
    let mut req = axum::http::Request::builder().method(method.to_uppercase().as_str()).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    app.send(req.body(axum::body::Body::from(body.unwrap_or("").to_owned())).unwrap()).await
}

db_test! {
    async fn the_document_lists_every_answer(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "契约小区"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": fh, "compound": "契约小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        admin.json("POST", "/api/v1/registry/people", json!([{"name": "契约人", "phone": "13900000077", "region_code": fh}])).await;
        admin.json("POST", "/api/v1/registry/other_orgs", json!([{"kind": "sponsor_unit", "name": "契约单位", "region_code": fh}])).await;
        let compound = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let building = admin.get(&format!("/api/v1/compounds/{compound}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let unit = admin.get(&format!("/api/v1/buildings/{building}")).await.json()["units"][0]["id"].as_i64().unwrap();
        let org = admin.get("/api/v1/organisations").await.json()["items"][0]["id"].as_i64().unwrap();
        let person = admin.get("/api/v1/people").await.json()["items"][0]["id"].as_i64().unwrap();
        let fact = admin.json("POST", &format!("/api/v1/compounds/{compound}/facts"), json!({"kind": "service_model", "value": "none", "effective_from": "2024-01-01"})).await.json()[0]["id"].as_i64().unwrap();
        let problem = admin.json("POST", "/api/v1/problems", json!({"compound_id": compound, "category": "repair", "description": "契约"})).await.json()["id"].as_i64().unwrap();
        // Oversight records: a company serving the compound, a notice, an inspection, a campaign, a publication, an objection.
        let cc = domain::org::CreditCode::complete("91371402MA0000991").unwrap().to_string();
        admin.json("POST", "/api/v1/registry/companies", json!([{"credit_code": cc, "name": "契约物业", "region_code": "371402", "party_coverage": "own_branch"}])).await;
        let r = admin.json("POST", "/api/v1/registry/compound_history", json!([{"community_code": fh, "compound": "契约小区", "kind": "company", "value": cc, "effective_from": "2020-01-01"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let company = db::oversight::company_on(&db, compound, chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()).await.unwrap().unwrap();
        let deadline = (domain::clock::today() + chrono::Duration::days(10)).to_string();
        let r = admin.json("POST", "/api/v1/rectification-notices", json!({"company_id": company, "compound_ids": [compound], "requirement": "整改", "deadline": deadline, "items": [{"text": "堆物"}]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let notice = r.json()["id"].as_i64().unwrap();
        let item = r.json()["items"][0]["id"].as_i64().unwrap();
        let lines: Vec<Value> = domain::rectify::default_checklist().iter().map(|c| json!({"score": c.max})).collect();
        let r = admin.json("POST", "/api/v1/inspections", json!({"compound_id": compound, "kind": "quarterly", "lines": lines})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let inspection = r.json()["id"].as_i64().unwrap();
        let r = admin.json("POST", "/api/v1/campaigns", json!({"region": "371402", "name": "契约整治", "starts_on": "2024-01-01", "ends_on": "2024-03-31"})).await;
        let campaign = r.json()["id"].as_i64().unwrap();
        let r = admin.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2024Q1"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let publication = r.json()["id"].as_i64().unwrap();
        // Owners' votes: an owner of the unit, a vote, a topic, a claim.
        let r = admin.json("POST", &format!("/api/v1/compounds/{compound}/owners"), json!({"unit_id": unit, "owners": [{"name": "契约业主", "id_tail": "1234"}], "since": "2020-01-01"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let opens = domain::clock::today() + chrono::Duration::days(20);
        let r = admin.json("POST", "/api/v1/votes", json!({"compound_id": compound, "title": "契约表决", "opens_on": opens, "closes_on": opens + chrono::Duration::days(7), "questions": [{"text": "契约", "matter": "covenant"}]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let vote = r.json()["vote"]["id"].as_i64().unwrap();
        let r = admin.json("POST", "/api/v1/topics", json!({"compound_id": compound, "title": "契约议题"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let topic = r.json()["topic"]["id"].as_i64().unwrap();
        let owner_token = user_token(&db, "contract_owner", "resident", &format!("unit:{unit}")).await;
        let r = App::anonymous(&db).with_token(&owner_token).json("POST", "/api/v1/owner-claims", json!({"unit_id": unit, "name": "契约业主", "id_tail": "1234"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let claim = r.json()["id"].as_i64().unwrap();
        // The owners' money: an account and one entry.
        let r = admin.json("POST", &format!("/api/v1/compounds/{compound}/ledger/accounts"), json!({"kind": "common", "model": "trust", "name": "契约账户", "opened_on": "2024-01-01"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let account = r.json()["id"].as_i64().unwrap();
        let entry = db::ledger::enter(&db, &crate::support::system(), &db::ledger::NewEntry {
            account_id: account, entry_date: "2024-01-02".parse().unwrap(), category: "fees".into(), amount_fen: 100,
            counterparty: String::new(), description: "契约".into(), approval_id: None, building_id: None, vouchers: vec![], gated: true,
        }, domain::clock::today(), chrono::Utc::now()).await.unwrap().id;
        let user = db::accounts::user_by_login(&db, "test_admin").await.unwrap().unwrap().id;
        let outsider = App::anonymous(&db).with_token(&user_token(&db, "elsewhere", "worker", "371428001001").await);
        let nobody = App::anonymous(&db);

        let fill = |path: &str, malformed: bool| -> String {
            let id = if path.starts_with("/api/v1/compounds/") { compound }
                else if path.starts_with("/api/v1/buildings/") { building }
                else if path.starts_with("/api/v1/units/") { unit }
                else if path.starts_with("/api/v1/organisations/") { org }
                else if path.starts_with("/api/v1/people/") { person }
                else if path.starts_with("/api/v1/problems/") { problem }
                else if path.starts_with("/api/v1/users/") { user }
                else if path.starts_with("/api/v1/rectification-notices/") { notice }
                else if path.starts_with("/api/v1/inspections/") { inspection }
                else if path.starts_with("/api/v1/campaigns/") { campaign }
                else if path.starts_with("/api/v1/grade-publications/") { publication }
                else if path.starts_with("/api/v1/grades/companies/") { company }
                else if path.starts_with("/api/v1/votes/") { vote }
                else if path.starts_with("/api/v1/topics/") { topic }
                else if path.starts_with("/api/v1/owner-claims/") { claim }
                else if path.starts_with("/api/v1/ledger/accounts/") { account }
                else if path.starts_with("/api/v1/ledger/entries/") { entry }
                else { 1 };
            let id = if malformed { "x".to_owned() } else { id.to_string() };
            path.replace("{id}", &id)
                .replace("{fact_id}", &if malformed { "x".to_owned() } else { fact.to_string() })
                .replace("{item_id}", &if malformed { "x".to_owned() } else { item.to_string() })
                .replace("{code}", if path.contains("problem-categories") { "repair" } else if malformed { "abc" } else { fh })
                .replace("{sheet}", "compounds")
                .replace("{month}", if malformed { "x" } else { "2024-01" })
                .replace("{year}", if malformed { "x" } else { "2024" })
        };
        let query = |path: &str| match path {
            "/api/v1/kpis" | "/api/v1/kpis/children" => "?region=371402",
            "/api/v1/bulletin" => "?region=371402&month=2024-06",
            "/api/v1/grades" | "/api/v1/grades/companies/{id}" => "?region=371402&period=2024Q1",
            "/api/v1/grading/scheme" | "/api/v1/inspections-due" | "/api/v1/vote-rules" => "?region=371402",
            // Supervisors read a compound's entries on a request with a reason (logged).
            "/api/v1/ledger/accounts/{id}/entries" => "?reason=contract",
            _ => "",
        };
        let doc: Value = serde_json::from_str(&web::api::openapi().to_json().unwrap()).unwrap();
        let mut failures = Vec::new();
        let mut driven = 0;
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item[method].is_null() {
                    continue;
                }
                driven += 1;
                let json_body = item[method]["requestBody"]["content"]["application/json"].is_object();
                let uri = format!("{}{}", fill(path, false), query(path));
                let body = json_body.then_some("{}");
                // Without credentials.
                let r = send(&nobody, method, &uri, body).await;
                check(&doc, path, method, "no credentials", &r, &mut failures);
                if r.status != 401 {
                    failures.push(format!("{method} {path}: {} without credentials", r.status));
                }
                // A malformed path parameter, or a body that is not JSON.
                if path.contains('{') && !path.contains("{sheet}") {
                    let r = send(&admin, method, &fill(path, true), body).await;
                    check(&doc, path, method, "malformed path", &r, &mut failures);
                }
                if json_body {
                    let r = send(&admin, method, &uri, Some("{not json")).await;
                    check(&doc, path, method, "malformed body", &r, &mut failures);
                    let r = send(&admin, method, &uri, Some("{}")).await;
                    check(&doc, path, method, "empty object", &r, &mut failures);
                }
                // A caller from another county.
                let r = send(&outsider, method, &uri, body).await;
                check(&doc, path, method, "from elsewhere", &r, &mut failures);
                // A record of another county does not exist for them.
                let others_record = path.contains("{id}") && !path.contains("/account/") && !path.contains("/users/");
                if method == "get" && others_record && r.status != 404 {
                    failures.push(format!("GET {uri} from elsewhere: {} (want 404)", r.status));
                }
                // Reads by one who may.
                if method == "get" {
                    let r = send(&admin, method, &uri, None).await;
                    check(&doc, path, method, "valid read", &r, &mut failures);
                    if r.status != 200 {
                        failures.push(format!("GET {uri}: {} {}", r.status, r.body));
                    }
                    // What it answers is what the document says it answers.
                    let schema = &item[method]["responses"]["200"]["content"]["application/json"]["schema"];
                    if !schema.is_null() {
                        conforms(&doc, schema, &r.json(), &format!("GET {path}"), &mut failures);
                        checked += 1;
                    }
                }
            }
        }
        assert!(driven >= 40, "{driven} operations");
        assert!(checked >= 30, "{checked} bodies checked against their schemas");
        assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    }
}

db_test! {
    // The bulletin's typed body says exactly what the bulletin holds.
    async fn the_bulletin_body_is_the_bulletin(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371402001009", "name": "通报小区", "year_built": 2000}])).await;
        admin.json("POST", "/api/v1/registry/compound_history", json!([{"community_code": "371402001009", "compound": "通报小区", "kind": "service_model", "value": "party_led", "effective_from": "2021-01-01"}])).await;
        let r = admin.get("/api/v1/bulletin?region=371402&month=2022-06").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = report::bulletin(&db, Some(&domain::RegionCode::parse("371402").unwrap()), report::Month::parse("2022-06").unwrap()).await.unwrap();
        let mut want = serde_json::to_value(&b).unwrap();
        want["summary"] = json!(b.summary());
        assert_eq!(r.json(), want);
    }
}

db_test! {
    // Every write to a record of another county, with a body that would be
    // valid, answers 404: the record does not exist for that caller.
    async fn writes_from_elsewhere_find_nothing(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "写入小区"}])).await;
        admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": fh, "compound": "写入小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        let compound = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let building = admin.get(&format!("/api/v1/compounds/{compound}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let unit = admin.get(&format!("/api/v1/buildings/{building}")).await.json()["units"][0]["id"].as_i64().unwrap();
        let fact = admin.json("POST", &format!("/api/v1/compounds/{compound}/facts"), json!({"kind": "service_model", "value": "none", "effective_from": "2024-01-01"})).await.json()[0]["id"].as_i64().unwrap();
        let problem = admin.json("POST", "/api/v1/problems", json!({"compound_id": compound, "category": "repair", "description": "写入"})).await.json()["id"].as_i64().unwrap();
        let outsider = App::anonymous(&db).with_token(&user_token(&db, "elsewhere", "worker", "371428001001").await);
        let writes = [
            ("PATCH", format!("/api/v1/compounds/{compound}"), json!({"name": "改名"})),
            ("POST", format!("/api/v1/compounds/{compound}/retire"), json!({})),
            ("POST", format!("/api/v1/compounds/{compound}/facts"), json!({"kind": "service_model", "value": "professional", "effective_from": "2024-06-01"})),
            ("PATCH", format!("/api/v1/compounds/{compound}/facts/{fact}"), json!({"valid_from": "2023-06-01"})),
            ("POST", format!("/api/v1/compounds/{compound}/buildings"), json!({"name": "2号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area_m2": "80"})),
            ("PATCH", format!("/api/v1/buildings/{building}"), json!({"name": "改名楼"})),
            ("POST", format!("/api/v1/buildings/{building}/retire"), json!({})),
            ("PATCH", format!("/api/v1/units/{unit}"), json!({"area_m2": "90"})),
            ("POST", format!("/api/v1/problems/{problem}/steps"), json!({"step": "accept"})),
            ("POST", format!("/api/v1/problems/{problem}/rating"), json!({"rating": "satisfied"})),
            ("POST", format!("/api/v1/regions/{fh}/grids"), json!({"name": "外来网格"})),
            ("POST", "/api/v1/registry/compounds".to_owned(), json!([{"community_code": fh, "name": "写入小区", "households": 1}])),
        ];
        let mut wrong = Vec::new();
        for (method, uri, body) in &writes {
            let r = outsider.json(method, uri, body.clone()).await;
            let ok = if uri.starts_with("/api/v1/registry/") { r.status == 422 && r.body.contains("outside your scope") } else { r.status == 404 };
            if !ok {
                wrong.push(format!("{method} {uri}: {} {}", r.status, r.body));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Nothing changed.
        let c = admin.get(&format!("/api/v1/compounds/{compound}")).await.json();
        assert_eq!((c["name"].as_str(), c["retired"].as_bool()), (Some("写入小区"), Some(false)));
    }
}
