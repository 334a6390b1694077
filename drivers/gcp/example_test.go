package gcp_test

import (
	"context"
	"fmt"
	"log"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/shadowscale/shadowscale/drivers/gcp"
	"github.com/shadowscale/shadowscale/drivers/gcp/gcptest"
)

// A Group against gcptest's fake Compute Engine API, which checks every
// request and answer against the Compute discovery document: the same
// options point the client at any endpoint.
func ExampleGroup() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fake := gcptest.NewServer(gcptest.Config{Project: "my-project", Now: func() time.Time { return now }})
	defer fake.Close()
	fake.AddGroup(gcptest.Group{Zone: "europe-west1-b", Name: "web", TargetSize: 2})

	ctx := context.Background()
	svc, err := compute.NewService(ctx,
		option.WithEndpoint(fake.Endpoint()),
		option.WithoutAuthentication())
	if err != nil {
		log.Fatal(err)
	}
	g, err := gcp.NewGroup(svc, gcp.Config{Project: "my-project", Zone: "europe-west1-b", Name: "web"})
	if err != nil {
		log.Fatal(err)
	}
	if err := g.Scale(ctx, 3); err != nil {
		log.Fatal(err)
	}
	st, err := g.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("desired %d, ready %d\n", st.Desired, st.Ready)
	now = now.Add(time.Minute) // the new instance is provisioned and running
	st, _ = g.Current(ctx)
	fmt.Printf("desired %d, ready %d; conforming: %v\n", st.Desired, st.Ready, fake.Err() == nil)
	// Output:
	// desired 3, ready 2
	// desired 3, ready 3; conforming: true
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
