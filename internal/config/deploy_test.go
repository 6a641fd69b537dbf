package config

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of a compose file these tests read.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Ports       []string          `yaml:"ports"`
		Environment map[string]string `yaml:"environment"`
		Labels      []string          `yaml:"labels"`
		DependsOn   map[string]any    `yaml:"depends_on"`
		Command     []string          `yaml:"command"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
}

func readCompose(t *testing.T, path string) composeFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(c.Services) == 0 {
		t.Fatalf("%s has no services", path)
	}
	return c
}

// envExample reads the variables .env.example sets (uncommented lines).
func envExample(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// No Docker engine runs here, so the shipped compose file is checked by
// reading it: every image can be pulled as pinned (a version tag, never
// "latest", nothing from the MinIO repositories that were removed), web is
// published only through Traefik, and the S3 server has a public address
// that the presigned URLs are signed for (S3_PUBLIC_ENDPOINT), routed by
// Traefik.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	c := readCompose(t, "../../docker-compose.yml")
	for name, s := range c.Services {
		ref := s.Image
		if ref == "" {
			t.Errorf("service %s has no image", name)
			continue
		}
		repo, tag, ok := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
		if !ok || tag == "" || tag == "latest" {
			t.Errorf("service %s: image %q is not pinned to a version tag", name, ref)
		}
		if strings.Contains(ref, "minio") {
			t.Errorf("service %s: image %q: MinIO's images can no longer be pulled", name, ref)
		}
		if (repo == "postgres" || repo == "redis") && !regexp.MustCompile(`^\d+\.\d+(\.\d+)?-`).MatchString(tag) {
			t.Errorf("service %s: image %q: pin a minor version, not only a major", name, ref)
		}
	}
	web, ok := c.Services["web"]
	if !ok {
		t.Fatal("no web service")
	}
	if len(web.Ports) != 0 {
		t.Errorf("web publishes %v: it must be reachable only through Traefik", web.Ports)
	}
	if !hasLabel(web.Labels, "traefik.enable=true") {
		t.Error("web is not routed by Traefik")
	}

	env := envExample(t)
	public := env["S3_PUBLIC_ENDPOINT"]
	u, err := url.Parse(public)
	if public == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		t.Fatalf(".env.example sets S3_PUBLIC_ENDPOINT=%q: want the https:// address Traefik serves the S3 server at", public)
	}
	if u.Host != env["S3_HOST"] {
		t.Errorf("S3_PUBLIC_ENDPOINT's host %q is not S3_HOST %q, which Traefik routes", u.Host, env["S3_HOST"])
	}
	internal, err := url.Parse(env["S3_ENDPOINT"])
	if err != nil || internal.Host == "" {
		t.Fatalf("S3_ENDPOINT=%q", env["S3_ENDPOINT"])
	}
	s3, ok := c.Services[internal.Hostname()]
	if !ok {
		t.Fatalf("S3_ENDPOINT %s names no compose service", env["S3_ENDPOINT"])
	}
	if len(s3.Ports) != 0 {
		t.Errorf("the S3 server publishes %v: it is reached through Traefik", s3.Ports)
	}
	if !hasLabel(s3.Labels, "traefik.http.routers.ordo-s3.rule=Host(`${S3_HOST:?set S3_HOST in .env}`)") ||
		!hasLabel(s3.Labels, "traefik.http.services.ordo-s3.loadbalancer.server.port="+internal.Port()) {
		t.Errorf("Traefik does not route S3_HOST to the S3 server's port %s: %v", internal.Port(), s3.Labels)
	}
	if !hasLabel(s3.Labels, "traefik.http.services.ordo-s3.loadbalancer.passhostheader=true") {
		t.Error("Traefik must pass the Host header through: it is part of every presigned URL's signature")
	}
	if _, ok := web.DependsOn[internal.Hostname()]; !ok {
		t.Errorf("web does not wait for %s", internal.Hostname())
	}

	// The local override publishes web (and the S3 server) on loopback
	// and signs for the address the browser uses there.
	o := readCompose(t, "../../docker-compose.override.example.yml")
	if w := o.Services["web"]; len(w.Ports) == 0 || w.Environment["S3_PUBLIC_ENDPOINT"] == "" {
		t.Errorf("the override example does not publish web with its S3_PUBLIC_ENDPOINT: %+v", w)
	}
	for name, s := range o.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("override example: %s publishes %s beyond loopback", name, p)
			}
		}
	}
}

// `ordo backup` on PostgreSQL runs pg_dump, which the distroless runtime
// image lacks: the worker runs from the Dockerfile's `backup` target, on the
// PostgreSQL image of the compose server's major version.
func TestComposeWorkerCanBackUp(t *testing.T) {
	t.Parallel()
	c := readCompose(t, "../../docker-compose.yml")
	worker := c.Services["worker"]
	build, _ := worker.Build.(map[string]any)
	if build["target"] != "backup" {
		t.Fatalf("the worker is built from target %v, not backup: it has no pg_dump for ORDO_BACKUP_NIGHTLY", build["target"])
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FROM (postgres:(\d+)\.\S+) AS backup$`).FindStringSubmatch(string(df))
	if m == nil {
		t.Fatal("the Dockerfile has no `FROM postgres:… AS backup` stage")
	}
	server := c.Services["postgres"].Image
	if !strings.HasPrefix(server, "postgres:"+m[2]+".") {
		t.Errorf("the backup image is %s but the server is %s: pg_dump must be of the server's major version or newer", m[1], server)
	}
	if !regexp.MustCompile(`(?m)^FROM \S+ AS runtime$`).Match(df) || strings.LastIndex(string(df), " AS runtime") < strings.LastIndex(string(df), " AS backup") {
		t.Error("the runtime stage must be the Dockerfile's last, so that a plain `docker build` makes it")
	}
}

func hasLabel(labels []string, want string) bool {
	for _, l := range labels {
		if l == want {
			return true
		}
	}
	return false
}

// The worker has a health check: `ordo worker -port N` serves /healthz,
// which `ordo healthcheck` asks on PORT (3000 in the images, or .env's), so
// the compose worker listens on that same port and is checked with it.
func TestComposeWorkerHealth(t *testing.T) {
	t.Parallel()
	c := readCompose(t, "../../docker-compose.yml")
	worker := c.Services["worker"]
	if strings.Join(worker.Command, " ") != "worker -port ${PORT:-3000}" {
		t.Fatalf("the worker's command is %q: without `-port ${PORT:-3000}` it serves no /healthz where `ordo healthcheck` asks (PORT)", worker.Command)
	}
	if d, _ := worker.Healthcheck["disable"].(bool); d || worker.Healthcheck["test"] == nil {
		t.Fatalf("the worker has no health check: %v", worker.Healthcheck)
	}
	if len(worker.Ports) > 0 || len(worker.Labels) > 0 {
		t.Fatal("the worker's health port must stay on the internal network (no ports, no Traefik labels)")
	}
}
