//! `ferry plan` on the simulated real Kyma history.

use super::util::*;

fn hops(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    plan["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hop| {
            let guides = hop["guides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap().to_string())
                .collect();
            (hop["version"].as_str().unwrap().to_string(), guides)
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn one_zero_to_one_three_goes_through_each_minor() {
    let world = World::new();
    let plan = json(&world.run(&["plan", "--from", "1.0.0", "--to", "1.3.0", "--json"]));
    assert_eq!(
        hops(&plan),
        vec![
            ("1.1.0".to_string(), vec![]),
            ("1.2.2".to_string(), strings(&["1.1-1.2.md"])),
            ("1.3.0".to_string(), strings(&["1.2-1.3.md"])),
        ]
    );
    let requested_pages: Vec<String> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/releases?"))
        .map(|r| r.path)
        .collect();
    assert!(
        requested_pages.iter().any(|p| p.contains("page=2")),
        "every page of releases is read: {requested_pages:?}"
    );
}

#[test]
fn one_fifteen_to_one_eighteen_goes_through_the_1_16_release_candidate() {
    let world = World::new();
    let plan = json(&world.run(&["plan", "--from", "1.15.1", "--to", "1.18.2", "--json"]));
    let hops = hops(&plan);
    let versions: Vec<&str> = hops.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(versions, ["1.16.0-rc4", "1.17.1", "1.18.2"]);
    assert!(hops[0].1.contains(&"1.15-1.16.md".to_string()), "{hops:?}");
    assert_eq!(hops[1].1, strings(&["1.15-1.17.md"]));
    assert_eq!(hops[2].1, strings(&["1.17-1.18.md"]));
    assert_eq!(plan["hops"][0]["prerelease"], true);
}

#[test]
fn a_stale_guide_stays_on_its_own_hop() {
    let world = World::new();
    let plan = json(&world.run(&["plan", "--from", "1.3.0", "--to", "1.5.0", "--json"]));
    assert_eq!(
        hops(&plan),
        vec![
            ("1.4.1".to_string(), strings(&["1.3-1.4.md"])),
            ("1.5.0".to_string(), vec![]),
        ]
    );
}

#[test]
fn recipes_change_with_the_target_version() {
    let world = World::new();
    let plan = json(&world.run(&[
        "plan",
        "--from",
        "1.9.0",
        "--to",
        "1.15.1",
        "--variant",
        "cluster",
        "--json",
    ]));
    let hop = |v: &str| {
        plan["hops"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["version"] == v)
            .unwrap()
            .clone()
    };
    assert_eq!(
        hop("1.10.0")["repo_files"][0],
        "installation/resources/tiller.yaml"
    );
    assert!(hop("1.12.0")["steps"][0]
        .as_str()
        .unwrap()
        .starts_with("delete Deployment"));
    assert_eq!(hop("1.14.0")["repo_files"].as_array().unwrap().len(), 0);
    assert_eq!(hop("1.15.1")["assets"][0], "kyma-installer.yaml");
    assert_eq!(hop("1.15.1")["assets"][1], "kyma-installer-cr-cluster.yaml");
}

#[test]
fn human_plan_names_every_hop() {
    let world = World::new();
    let out = world.run(&["plan", "--from", "1.0.0", "--to", "1.3.0"]);
    assert_success(&out);
    let text = stdout(&out);
    for expected in [
        "1.0.0 -> 1.1.0",
        "1.1.0 -> 1.2.2",
        "1.2.2 -> 1.3.0",
        "1.1-1.2.md",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
}

#[test]
fn refuses_downgrades_and_unknown_versions() {
    let world = World::new();
    let out = world.run(&["plan", "--from", "1.3.0", "--to", "1.1.0"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("downgrade"), "{}", stderr(&out));
    assert!(stderr(&out).contains("backup"), "{}", stderr(&out));

    let out = world.run(&["plan", "--from", "1.0.0", "--to", "1.3.9"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("1.3.9 is not a release"),
        "{}",
        stderr(&out)
    );

    let out = world.run(&["plan", "--from", "one", "--to", "1.3.0"]);
    assert_exit(&out, 2);
}
