//! `ferry apply` across a fleet: one bundle verified once, several
//! simulated clusters upgraded with a concurrency limit, each with its own
//! journal and log; a cluster whose hop fails, one killed mid-run, one that
//! was never reachable and a context the kubeconfig lacks stop no other,
//! and a rerun picks each up where it stopped. `status --all-contexts`
//! shows the fleet.

use super::util::*;
use ferry::sandbox::kube::{ClusterConfig, KubeSim};
use std::time::{Duration, Instant};

const BUNDLE: &str = "b.ferry.tar.gz";

fn at_1_0(fail_version: Option<&str>, installer_delay: Duration) -> ClusterConfig {
    ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".to_string()),
        installer_delay,
        fail_version: fail_version.map(str::to_string),
        ..ClusterConfig::default()
    }
}

/// `ferry apply BUNDLE` unattended, plus `extra`.
fn unattended<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    unattended_apply(BUNDLE, extra)
}

fn member<'a>(summary: &'a serde_json::Value, context: &str) -> &'a serde_json::Value {
    summary["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == context)
        .unwrap_or_else(|| panic!("{context} in {summary}"))
}

#[test]
fn a_fleet_upgrades_every_cluster_and_one_failing_stops_no_other() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let quick = Duration::from_millis(150);
    let good: Vec<KubeSim> = (0..3)
        .map(|_| world.start_cluster(at_1_0(None, quick)))
        .collect();
    let failing = world.start_cluster(at_1_0(Some("1.2.2"), quick));
    // Slow enough to be killed while it installs its second hop.
    let doomed = world.start_cluster(at_1_0(None, Duration::from_millis(1500)));
    let gone = world.start_cluster(at_1_0(None, quick));
    let mut members: Vec<(&KubeSim, &str)> = good.iter().zip(["eu-1", "eu-2", "us-1"]).collect();
    members.extend([(&failing, "us-2"), (&doomed, "ap-1"), (&gone, "ap-2")]);
    KubeSim::write_fleet_kubeconfig(&world.path("kubeconfig"), &members).unwrap();
    gone.shutdown();
    std::fs::write(
        world.path("fleet.txt"),
        "# every site\nap-1\neu-1\neu-2\nus-1\nus-2\nap-2\nnowhere  # not in the kubeconfig\n",
    )
    .unwrap();

    let child = world.spawn(&unattended(&[
        "--contexts-from",
        "fleet.txt",
        "--parallel",
        "4",
        "--json",
    ]));
    let deadline = Instant::now() + Duration::from_secs(60);
    while doomed.installed_versions().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        doomed.installed_versions(),
        ["1.1.0"],
        "killed during hop 2"
    );
    doomed.shutdown();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 1);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ok"], false, "{summary}");
    assert_eq!(summary["exit_code"], 1, "{summary}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_eq!(summary["failed"], 4, "{summary}");
    for (sim, name) in good.iter().zip(["eu-1", "eu-2", "us-1"]) {
        assert_eq!(
            sim.installed_versions(),
            ["1.1.0", "1.2.2", "1.3.0"],
            "{name}"
        );
        let row = member(&summary, name);
        assert_eq!(row["outcome"], "applied", "{row}");
        assert_eq!(row["version"], "1.3.0", "{row}");
        let log = std::fs::read_to_string(world.path(&format!("ferry-logs/{name}.log"))).unwrap();
        assert!(log.contains("hop 1.2.2 -> 1.3.0 finished"), "{name}: {log}");
    }
    assert_eq!(failing.installed_versions(), ["1.1.0"]);
    let row = member(&summary, "us-2");
    assert_eq!(row["outcome"], "failed", "{row}");
    assert!(row["error"].as_str().unwrap().contains("1.2.2"), "{row}");
    for name in ["ap-1", "ap-2", "nowhere"] {
        assert_eq!(member(&summary, name)["outcome"], "failed", "{summary}");
    }
    assert!(
        member(&summary, "nowhere")["error"]
            .as_str()
            .unwrap()
            .contains("nowhere"),
        "{summary}"
    );
    let err = stderr(&out);
    assert!(err.contains("4 of 7 clusters did not finish"), "{err}");
    assert!(err.contains("rerun the same command"), "{err}");

    // The fleet as status sees it: the unreachable ones say so, the others go on.
    let status = json(&world.run(&["status", "--all-contexts", "--json"]));
    let clusters = status["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 6, "{status}");
    assert_eq!(member(&status, "eu-2")["version"], "1.3.0", "{status}");
    // Its installer gave up on 1.2.2.
    assert_eq!(member(&status, "us-2")["version"], "1.2.2", "{status}");
    assert_eq!(
        member(&status, "us-2")["installer"]["state"],
        "Error",
        "{status}"
    );
    assert!(member(&status, "ap-2")["error"].is_string(), "{status}");
    let table = stdout(&world.run(&["status", "--context", "eu-1", "--context", "us-2"]));
    assert!(table.contains("eu-1") && table.contains("us-2"), "{table}");
    assert!(
        table.contains("1.3.0") && table.contains("Error"),
        "{table}"
    );

    // Fixed, the failing cluster resumes at its failed hop; the others are done.
    failing.set_fail_version(None);
    let out = world.run(&unattended(&[
        "--context",
        "eu-1",
        "--context",
        "us-2",
        "--context",
        "us-1",
    ]));
    assert_success(&out);
    let table = stdout(&out);
    assert!(table.contains("up-to-date"), "{table}");
    assert_eq!(failing.installed_versions(), ["1.1.0", "1.2.2", "1.3.0"]);
    assert!(good[0].installed_versions().len() == 3);
}

#[test]
fn a_fleet_without_yes_or_with_a_bad_contexts_file_touches_nothing() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));
    let sims: Vec<KubeSim> = (0..2)
        .map(|_| world.start_cluster(at_1_0(None, Duration::from_millis(100))))
        .collect();
    KubeSim::write_fleet_kubeconfig(
        &world.path("kubeconfig"),
        &[(&sims[0], "a"), (&sims[1], "b")],
    )
    .unwrap();
    let apply = |extra: &[&str]| {
        let mut args = vec!["apply", BUNDLE, "--pub", "ops.pub", "--accept-guides"];
        args.extend_from_slice(extra);
        world.run(&args)
    };
    // No terminal to ask on and no --yes.
    assert_exit(&apply(&["--context", "a", "--context", "b"]), 3);
    std::fs::write(world.path("twice.txt"), "a\nb\na\n").unwrap();
    let out = apply(&["--contexts-from", "twice.txt", "--yes"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("listed twice"), "{}", stderr(&out));
    std::fs::write(world.path("empty.txt"), "# nobody\n").unwrap();
    assert_exit(&apply(&["--contexts-from", "empty.txt", "--yes"]), 2);
    for sim in &sims {
        assert!(sim.installed_versions().is_empty());
        assert_eq!(sim.mutations(), 0);
    }
}
