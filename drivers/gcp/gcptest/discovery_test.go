package gcptest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite compute-v1.json.gz from the module cache's google.golang.org/api")

// stripDiscovery removes the prose of a discovery document (description,
// enumDescriptions, enumDeprecated) and nothing else: names in properties,
// parameters, schemas, resources and methods are kept even when a field is
// called "description". The result is compact JSON with sorted keys.
func stripDiscovery(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var strip func(v any, names bool) any
	strip = func(v any, names bool) any {
		switch x := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				switch {
				case names:
					out[k] = strip(e, false)
				case k == "description" || k == "enumDescriptions" || k == "enumDeprecated":
				case k == "properties" || k == "parameters" || k == "schemas" || k == "resources" || k == "methods":
					out[k] = strip(e, true)
				default:
					out[k] = strip(e, false)
				}
			}
			return out
		case []any:
			for i := range x {
				x[i] = strip(x[i], false)
			}
		}
		return v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(strip(v, false)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// TestEmbeddedDiscoveryMatchesModule: the embedded document is the
// google.golang.org/api version the build uses, as shipped in its
// compute/v1 package, less its prose. With -update it rewrites the copy.
func TestEmbeddedDiscoveryMatchesModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to find the module cache")
	}
	out, err := exec.Command("go", "list", "-m", "-json", "google.golang.org/api").Output()
	require.NoError(t, err)
	var mod struct{ Version, Dir string }
	require.NoError(t, json.Unmarshal(out, &mod))
	if mod.Dir == "" {
		t.Skipf("google.golang.org/api %s is not in the module cache", mod.Version)
	}
	orig, err := os.ReadFile(filepath.Join(mod.Dir, "compute", "v1", "compute-api.json"))
	require.NoError(t, err)
	sum := sha256.Sum256(orig)
	stripped, err := stripDiscovery(orig)
	require.NoError(t, err)

	if *update {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, err := zw.Write(stripped)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.NoError(t, os.WriteFile("compute-v1.json.gz", b.Bytes(), 0o644))
		t.Logf("wrote compute-v1.json.gz from google.golang.org/api %s (sha256 %x): set SDKVersion and discoverySHA256", mod.Version, sum)
		return
	}
	const regen = "; run go test ./gcptest -run TestEmbeddedDiscoveryMatchesModule -update and set SDKVersion and discoverySHA256"
	require.Equal(t, SDKVersion, mod.Version, "the build uses another google.golang.org/api"+regen)
	require.Equal(t, discoverySHA256, hex.EncodeToString(sum[:]), "compute-api.json of %s changed"+regen, mod.Version)
	zr, err := gzip.NewReader(bytes.NewReader(discoveryGz))
	require.NoError(t, err)
	embedded, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.True(t, bytes.Equal(stripped, embedded), "the embedded document differs from the module's"+regen)

	// The copy lost prose only: every method and schema is there.
	var full, kept struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	}
	require.NoError(t, json.Unmarshal(orig, &full))
	require.NoError(t, json.Unmarshal(embedded, &kept))
	assert.Len(t, kept.Schemas, len(full.Schemas))
	spec, err := Compute()
	require.NoError(t, err)
	origSpec, err := ParseSpec(orig)
	require.NoError(t, err)
	assert.Equal(t, origSpec.Methods(), spec.Methods())
}
