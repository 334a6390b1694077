package gcp_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/shadowscale/shadowscale/drivers/gcp"
)

// A Group against a local stand-in of the Compute Engine API: the same
// options point the client at any endpoint.
func ExampleGroup() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/projects/my-project/zones/europe-west1-b/instanceGroupManagers/web":
			fmt.Fprint(w, `{"name":"web","targetSize":3}`)
		case "/projects/my-project/zones/europe-west1-b/instanceGroupManagers/web/listManagedInstances":
			fmt.Fprint(w, `{"managedInstances":[
				{"instanceStatus":"RUNNING","currentAction":"NONE"},
				{"instanceStatus":"RUNNING","currentAction":"NONE"},
				{"instanceStatus":"PROVISIONING","currentAction":"CREATING"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":404,"message":"not found"}}`)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	svc, err := compute.NewService(ctx,
		option.WithEndpoint(srv.URL+"/"),
		option.WithoutAuthentication(),
		option.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	g, err := gcp.NewGroup(svc, gcp.Config{Project: "my-project", Zone: "europe-west1-b", Name: "web"})
	if err != nil {
		log.Fatal(err)
	}
	st, err := g.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("desired %d, ready %d\n", st.Desired, st.Ready)
	// Output:
	// desired 3, ready 2
}

// In production the client uses Application Default Credentials.
func ExampleNewGroup() {
	ctx := context.Background()
	svc, err := compute.NewService(ctx)
	if err != nil {
		log.Fatal(err)
	}
	g, err := gcp.NewGroup(svc, gcp.Config{Project: "my-project", Region: "europe-west1", Name: "web-mig"})
	if err != nil {
		log.Fatal(err)
	}
	if err := g.Scale(ctx, 8); err != nil {
		log.Fatal(err)
	}
}
