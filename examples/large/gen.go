//go:build ignore

// Command gen writes examples/large/matrix.yaml, a synthetic matrix of 40
// distributions x 10 Kubernetes minors x 20 features (more than 6,000 cells)
// for benchmarks and for the sharded (router) pipeline. The output is
// deterministic: the same program always writes the same bytes.
//
//	go run examples/large/gen.go > examples/large/matrix.yaml
package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"strings"
)

const (
	firstMinor = 28 // 1.28
	lastMinor  = 37 // 1.37
	minCells   = 6000
)

type dist struct {
	id, name, tier string
	ephemeral      bool
	provision      string // kind or k3s: jobs/clusters/<p>-provision.yml
	lo, hi         int    // offered minors 1.lo .. 1.hi
	openshift      bool   // release names 4.(minor-13)
	skew           int
	settings       []string
	variables      [][2]string
}

var dists = []dist{
	{id: "gke-standard", name: "GKE Standard", tier: "official", lo: 28, hi: 37, settings: []string{"Dataplane V2", "Workload Identity Federation for GKE"}, variables: [][2]string{{"CLOUDSDK_CORE_PROJECT", "k8s-support"}}},
	{id: "gke-autopilot", name: "GKE Autopilot", tier: "official", lo: 30, hi: 37, settings: []string{"Autopilot default security policies"}, variables: [][2]string{{"CLOUDSDK_CORE_PROJECT", "k8s-support"}}},
	{id: "eks", name: "Amazon EKS", tier: "official", lo: 28, hi: 37, settings: []string{"Amazon VPC CNI", "IAM roles for service accounts", "AWS Load Balancer Controller"}, variables: [][2]string{{"AWS_REGION", "us-east-2"}}},
	{id: "eks-fargate", name: "Amazon EKS on Fargate", tier: "beta", lo: 30, hi: 37, settings: []string{"Fargate profile for the release namespace"}, variables: [][2]string{{"AWS_REGION", "us-east-2"}}},
	{id: "eks-auto", name: "Amazon EKS Auto Mode", tier: "beta", lo: 31, hi: 37, settings: []string{"Auto Mode managed node pools"}, variables: [][2]string{{"AWS_REGION", "us-west-2"}}},
	{id: "eks-anywhere", name: "Amazon EKS Anywhere", tier: "beta", lo: 28, hi: 35, settings: []string{"vSphere provider", "Cilium CNI"}},
	{id: "aks", name: "Azure Kubernetes Service", tier: "official", lo: 33, hi: 37, settings: []string{"Azure CNI Overlay", "Microsoft Entra Workload ID"}, variables: [][2]string{{"AZURE_LOCATION", "westeurope"}}},
	{id: "aks-automatic", name: "AKS Automatic", tier: "beta", lo: 33, hi: 37, settings: []string{"Deployment safeguards enforced"}, variables: [][2]string{{"AZURE_LOCATION", "westeurope"}}},
	{id: "openshift", name: "Red Hat OpenShift Container Platform", tier: "official", lo: 28, hi: 35, openshift: true, settings: []string{"restricted-v2 SCC", "OVN-Kubernetes"}},
	{id: "rosa", name: "Red Hat OpenShift Service on AWS", tier: "beta", lo: 30, hi: 35, openshift: true, settings: []string{"Hosted control planes"}},
	{id: "aro", name: "Azure Red Hat OpenShift", tier: "beta", lo: 30, hi: 35, openshift: true, settings: []string{"restricted-v2 SCC"}},
	{id: "okd", name: "OKD", tier: "community", lo: 31, hi: 35, openshift: true, settings: []string{"restricted-v2 SCC"}},
	{id: "gdc", name: "Google Distributed Cloud", tier: "beta", lo: 28, hi: 35, settings: []string{"Bare metal, bundled load balancer"}},
	{id: "rke2", name: "RKE2", tier: "official", ephemeral: true, provision: "k3s", lo: 28, hi: 37, settings: []string{"CIS profile enabled", "Canal CNI"}},
	{id: "k3s", name: "K3s", tier: "community", ephemeral: true, provision: "k3s", lo: 28, hi: 37, settings: []string{"Bundled Traefik disabled"}},
	{id: "k3d", name: "k3d", tier: "community", ephemeral: true, provision: "k3s", lo: 28, hi: 37, settings: []string{"One server, two agents"}},
	{id: "kind", name: "kind", tier: "community", ephemeral: true, provision: "kind", lo: 28, hi: 37, skew: 3, settings: []string{"Single node"}},
	{id: "minikube", name: "minikube", tier: "community", ephemeral: true, provision: "kind", lo: 28, hi: 37, settings: []string{"Docker driver"}},
	{id: "microk8s", name: "MicroK8s", tier: "community", ephemeral: true, provision: "kind", lo: 29, hi: 37, settings: []string{"dns, ingress and hostpath-storage add-ons"}},
	{id: "k0s", name: "k0s", tier: "community", ephemeral: true, provision: "kind", lo: 28, hi: 37, settings: []string{"Kube-router CNI"}},
	{id: "talos", name: "Talos Linux", tier: "community", ephemeral: true, provision: "kind", lo: 29, hi: 37, settings: []string{"Docker provider"}},
	{id: "kubeadm", name: "kubeadm", tier: "beta", ephemeral: true, provision: "kind", lo: 28, hi: 37, skew: 2, settings: []string{"Calico CNI", "containerd 2"}},
	{id: "vcluster", name: "vCluster", tier: "community", ephemeral: true, provision: "kind", lo: 30, hi: 37, settings: []string{"K8s distro, host cluster kind"}},
	{id: "charmed", name: "Canonical Kubernetes", tier: "community", ephemeral: true, provision: "k3s", lo: 30, hi: 37, settings: []string{"Cilium CNI"}},
	{id: "rancher-desktop", name: "Rancher Desktop", tier: "community", ephemeral: true, provision: "k3s", lo: 28, hi: 37, settings: []string{"containerd runtime"}},
	{id: "doks", name: "DigitalOcean Kubernetes", tier: "beta", lo: 31, hi: 37, settings: []string{"Cilium CNI"}},
	{id: "lke", name: "Linode Kubernetes Engine", tier: "community", lo: 31, hi: 37, settings: []string{"Standard control plane"}},
	{id: "oke", name: "Oracle Container Engine for Kubernetes", tier: "beta", lo: 29, hi: 37, settings: []string{"VCN-native pod networking"}},
	{id: "iks", name: "IBM Cloud Kubernetes Service", tier: "community", lo: 30, hi: 37, settings: []string{"VPC infrastructure"}},
	{id: "ack", name: "Alibaba Cloud Container Service for Kubernetes", tier: "community", lo: 28, hi: 37, settings: []string{"Terway CNI"}},
	{id: "tke", name: "Tencent Kubernetes Engine", tier: "community", lo: 28, hi: 36, settings: []string{"VPC-CNI mode"}},
	{id: "cce", name: "Huawei Cloud CCE", tier: "community", lo: 28, hi: 36, settings: []string{"Cloud Native Network 2.0"}},
	{id: "kapsule", name: "Scaleway Kapsule", tier: "community", lo: 30, hi: 37, settings: []string{"Cilium CNI"}},
	{id: "ovh-mks", name: "OVHcloud Managed Kubernetes", tier: "community", lo: 29, hi: 37, settings: []string{"Private network"}},
	{id: "civo", name: "Civo Kubernetes", tier: "community", lo: 30, hi: 37, settings: []string{"K3s-based clusters"}},
	{id: "vke", name: "Vultr Kubernetes Engine", tier: "community", lo: 30, hi: 37, settings: []string{"Calico CNI"}},
	{id: "exoscale-sks", name: "Exoscale SKS", tier: "community", lo: 30, hi: 37, settings: []string{"Pro plan"}},
	{id: "ionos", name: "IONOS Managed Kubernetes", tier: "community", lo: 29, hi: 37, settings: []string{"Public node pools"}},
	{id: "gardener", name: "Gardener", tier: "beta", lo: 28, hi: 37, settings: []string{"Shoot cluster on GCP"}},
	{id: "tanzu", name: "VMware vSphere Kubernetes Service", tier: "deprecated", lo: 28, hi: 33, settings: []string{"Supervisor with NSX networking"}},
}

type feature struct {
	id, name, template string
	needs              []string
	constraint         string
	nonBlocking        bool
	timeout            string
}

var features = []feature{
	{id: "deploy", name: "Install with the Helm chart", timeout: "45m"},
	{id: "chart-upgrade", name: "Upgrade from the previous chart release", template: "deploy", needs: []string{"deploy"}, timeout: "45m"},
	{id: "auto-devops", name: "Auto DevOps deploy", needs: []string{"deploy"}, timeout: "1h"},
	{id: "review-apps", name: "Review apps", template: "auto-devops", needs: []string{"auto-devops"}},
	{id: "runner", name: "Runner Kubernetes executor", needs: []string{"deploy"}, timeout: "30m"},
	{id: "runner-autoscale", name: "Runner pod autoscaling", template: "runner", needs: []string{"runner"}},
	{id: "runner-cache", name: "Runner distributed cache", template: "runner", needs: []string{"runner"}},
	{id: "runner-sidecars", name: "Runner services as native sidecars", template: "runner", needs: []string{"runner"}, constraint: ">= 1.29"},
	{id: "terminal", name: "Web terminal", needs: []string{"deploy"}, timeout: "15m"},
	{id: "pod-logs", name: "Pod logs", needs: []string{"deploy"}, timeout: "15m"},
	{id: "pod-logs-stream", name: "Pod log streaming", template: "pod-logs", needs: []string{"pod-logs"}},
	{id: "monitoring", name: "Cluster monitoring", needs: []string{"deploy"}, nonBlocking: true},
	{id: "alerts", name: "Alert routing", template: "monitoring", needs: []string{"monitoring"}, nonBlocking: true},
	{id: "agent", name: "Kubernetes agent", timeout: "20m"},
	{id: "agent-ci-access", name: "CI/CD access through the agent", template: "agent", needs: []string{"agent"}},
	{id: "agent-gitops", name: "GitOps with Flux", template: "agent", needs: []string{"agent"}, constraint: ">= 1.30"},
	{id: "ingress", name: "Ingress with TLS", template: "deploy", needs: []string{"deploy"}},
	{id: "gateway-api", name: "Gateway API routes", template: "deploy", needs: []string{"ingress"}, constraint: ">= 1.30"},
	{id: "network-policy", name: "Network policies", template: "deploy", needs: []string{"deploy"}},
	{id: "backup-restore", name: "Backup and restore", template: "deploy", needs: []string{"deploy"}, timeout: "1h"},
}

type rule struct {
	dists, feats []string
	constraint   string // on the minor, "" for any
	minors       func(int) bool
	action       string
	reason       string
}

var rules = []rule{
	{dists: []string{"openshift", "rosa", "aro", "okd"}, feats: []string{"auto-devops"}, action: "exclude", reason: "Auto DevOps builds need privileged containers, denied by the restricted-v2 SCC"},
	{dists: []string{"openshift", "rosa", "aro", "okd"}, feats: []string{"monitoring"}, action: "exclude", reason: "OpenShift ships its own cluster monitoring stack"},
	{dists: []string{"gke-autopilot", "eks-fargate"}, feats: []string{"monitoring", "runner-cache"}, action: "exclude", reason: "No DaemonSets with host access (node exporter, hostPath cache) on serverless nodes"},
	{dists: []string{"kind", "k3d", "minikube", "rancher-desktop"}, feats: []string{"terminal"}, action: "exclude", reason: "The API server listens inside the job's Docker network; GitLab cannot reach it"},
	{dists: []string{"minikube"}, feats: []string{"network-policy"}, action: "exclude", reason: "The default bridge CNI does not enforce network policies"},
	{dists: []string{"vcluster"}, feats: []string{"monitoring"}, action: "exclude", reason: "A virtual cluster has no nodes of its own to scrape"},
	{dists: []string{"eks", "eks-auto"}, feats: []string{"terminal"}, action: "allow_failure", reason: "The ALB idle timeout closes quiet web terminal sessions"},
	{feats: []string{"runner-sidecars"}, constraint: "< 1.33", minors: func(m int) bool { return m < 33 }, action: "allow_failure", reason: "Native sidecar containers are beta before Kubernetes 1.33"},
	{dists: []string{"ack", "tke", "cce"}, feats: []string{"backup-restore"}, constraint: "< 1.30", minors: func(m int) bool { return m < 30 }, action: "allow_failure", reason: "Volume snapshots need the vendor's CSI snapshotter add-on on these versions"},
	{dists: []string{"gardener"}, feats: []string{"backup-restore"}, action: "manual", reason: "Restores need a maintenance window on the shared Gardener landscape"},
	{dists: []string{"tanzu"}, action: "allow_failure", reason: "Deprecated: kept running until customers migrate; failures do not block"},
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	if err := write(w); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}

func write(w *bufio.Writer) error {
	cells := 0
	for _, d := range dists {
		cells += (d.hi - d.lo + 1) * len(features)
	}
	if cells < minCells {
		return fmt.Errorf("only %d cells, want at least %d", cells, minCells)
	}
	for i, r := range rules {
		if !ruleMatches(r) {
			return fmt.Errorf("rule %d (%s) matches no cell", i, r.reason)
		}
	}

	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# yaml-language-server: $schema=../../matrix/schema.json\n")
	p("#\n# GENERATED by examples/large/gen.go; do not edit. Regenerate with:\n")
	p("#   go run examples/large/gen.go > examples/large/matrix.yaml\n#\n")
	p("# A synthetic program at scale: %d distributions x %d minors x %d features\n", len(dists), lastMinor-firstMinor+1, len(features))
	p("# = %d cells, for benchmarks and the sharded child pipeline (max_jobs).\n", cells)
	p("# Features reuse the default templates; ephemeral distributions reuse the\n")
	p("# kind and k3s cluster templates, so the file generates with the defaults.\n")
	p("schema: supportmatrix/v1\n\n")

	p("kubernetes:\n  versions: [")
	for m := firstMinor; m <= lastMinor; m++ {
		if m > firstMinor {
			p(", ")
		}
		p("%q", minor(m))
	}
	p("]\n  extended:\n")
	for m := firstMinor; m <= 34; m++ {
		p("    %q: %s\n", minor(m), scalar("Synthetic example: kept as if a vendor's long-term support still covered it"))
	}
	p("  adopt_within: 90d\n\ndistributions:\n")
	for _, d := range dists {
		p("  %s:\n    name: %s\n    tier: %s\n", d.id, scalar(d.name), d.tier)
		if d.lo > firstMinor || d.hi < lastMinor {
			p("    kubernetes: %q\n", constraint(d.lo, d.hi))
		}
		if d.openshift {
			p("    release_names:\n")
			for m := d.lo; m <= d.hi; m++ {
				p("      %q: \"4.%d\"\n", minor(m), m-13)
			}
		}
		p("    cluster:\n")
		if d.ephemeral {
			p("      type: ephemeral\n      provision: %s-provision\n      teardown: %s-teardown\n", d.provision, d.provision)
			p("    tags: [k8s-ephemeral]\n")
		} else {
			p("      type: permanent\n      context: \"k8s-support/agents:%s-{minor}\"\n", d.id)
			p("    tags: [k8s-%s]\n", d.id)
		}
		if len(d.variables) > 0 {
			p("    variables:\n")
			for _, kv := range d.variables {
				p("      %s: %s\n", kv[0], kv[1])
			}
		}
		p("    settings:\n")
		for _, s := range d.settings {
			p("      - %s\n", scalar(s))
		}
		if d.skew > 0 {
			p("    skew: {max_behind: %d, verify: [deploy]}\n", d.skew)
		}
	}

	p("\nfeatures:\n")
	for _, f := range features {
		p("  %s:\n    name: %s\n", f.id, scalar(f.name))
		if f.template != "" {
			p("    template: %s\n", f.template)
		}
		if f.constraint != "" {
			p("    kubernetes: %q\n", f.constraint)
		}
		if len(f.needs) > 0 {
			p("    needs: [%s]\n", strings.Join(f.needs, ", "))
		}
		if f.nonBlocking {
			p("    blocking: false\n")
		}
		if f.timeout != "" {
			p("    timeout: %s\n", f.timeout)
		}
	}

	p("\nrules:\n")
	for _, r := range rules {
		var parts []string
		if len(r.dists) > 0 {
			parts = append(parts, "distribution: "+idList(r.dists))
		}
		if r.constraint != "" {
			parts = append(parts, fmt.Sprintf("kubernetes: %q", r.constraint))
		}
		if len(r.feats) > 0 {
			parts = append(parts, "feature: "+idList(r.feats))
		}
		p("  - match: {%s}\n    action: %s\n    reason: %s\n", strings.Join(parts, ", "), r.action, scalar(r.reason))
	}

	p("\nupgrades:\n  path: adjacent\n  verify: [deploy, runner]\n  distributions: [rke2, k3s, kind, kubeadm]\n")
	p("\nprofiles:\n  merge_request_event: changed\n  schedule: all\n  web: all\n")
	p("\npolicy:\n  official:\n    requires: [settings, permanent-cluster]\n    green_runs: 3\n    max_age: 8d\n")
	p("  beta:\n    requires: [settings]\n    green_runs: 1\n    max_age: 15d\n")
	p("\npipeline:\n  image: alpine/k8s:1.34.2\n  gitlab: \"18.2\"\n  strategy: mirror\n")
	p("  retry: {max: 2, when: [runner_system_failure, stuck_or_timeout_failure, scheduler_failure]}\n")
	p("  interruptible: true\n  limits: {max_jobs: 500, max_needs: 50}\n")
	return nil
}

// scalar renders text as a YAML scalar, quoted when a plain scalar would
// read differently.
func scalar(s string) string {
	if strings.ContainsAny(s[:1], "!&*-?[]{}|>'\"%@`#,:") || strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func minor(m int) string { return fmt.Sprintf("1.%d", m) }

func constraint(lo, hi int) string {
	switch {
	case lo > firstMinor && hi < lastMinor:
		return fmt.Sprintf(">= %s, <= %s", minor(lo), minor(hi))
	case lo > firstMinor:
		return ">= " + minor(lo)
	default:
		return "<= " + minor(hi)
	}
}

func idList(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// ruleMatches reports whether the rule matches at least one cell, as
// `supportmatrix validate` requires.
func ruleMatches(r rule) bool {
	for _, d := range dists {
		if len(r.dists) > 0 && !contains(r.dists, d.id) {
			continue
		}
		for m := d.lo; m <= d.hi; m++ {
			if r.minors != nil && !r.minors(m) {
				continue
			}
			for _, f := range features {
				if len(r.feats) == 0 || contains(r.feats, f.id) {
					return true
				}
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
