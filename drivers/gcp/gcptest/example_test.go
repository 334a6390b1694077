package gcptest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/drivers/gcp/gcptest"
)

// A resize through the SDK, and the group's instances on the fake's clock.
func ExampleServer() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fake := gcptest.NewServer(gcptest.Config{Project: "my-project", Now: func() time.Time { return now }})
	defer fake.Close()
	fake.AddGroup(gcptest.Group{Zone: "europe-west1-b", Name: "web", TargetSize: 1})

	svc, err := fake.Service(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	op, err := svc.InstanceGroupManagers.Resize("my-project", "europe-west1-b", "web", 2).Do()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resize", op.Status)
	list := func() {
		r, err := svc.InstanceGroupManagers.ListManagedInstances("my-project", "europe-west1-b", "web").Do()
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range r.ManagedInstances {
			fmt.Printf("  %s %s/%s\n", m.Name, m.CurrentAction, m.InstanceStatus)
		}
	}
	list()
	now = now.Add(time.Minute)
	op, _ = svc.ZoneOperations.Wait("my-project", "europe-west1-b", op.Name).Do()
	fmt.Println("resize", op.Status)
	list()
	fmt.Println("conforming:", fake.Err() == nil)
	// Output:
	// resize RUNNING
	//   web-0001 NONE/RUNNING
	//   web-0002 CREATING/PROVISIONING
	// resize DONE
	//   web-0001 NONE/RUNNING
	//   web-0002 NONE/RUNNING
	// conforming: true
}

// A request that drifted from the API is refused and reported.
func ExampleServer_drift() {
	fake := gcptest.NewServer(gcptest.Config{})
	defer fake.Close()
	fake.AddGroup(gcptest.Group{Zone: "z", Name: "web", TargetSize: 1})

	resp, err := http.Post(fake.Endpoint()+"projects/test-project/zones/z/instanceGroupManagers/web/resize?targetSize=3", "", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	err = fake.Err()
	fmt.Println(errors.Is(err, gcptest.ErrNotConformant))
	_, problems, _ := strings.Cut(err.Error(), "discovery document: ")
	fmt.Println(problems)
	// Output:
	// 400
	// true
	// unknown query parameter "targetSize"; required query parameter size is missing
}
