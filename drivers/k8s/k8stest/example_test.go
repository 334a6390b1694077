package k8stest_test

import (
	"context"
	"fmt"
	"log"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shadowscale/shadowscale/drivers/k8s/k8stest"
)

func ExampleServeScale() {
	replicas := int32(2)
	c := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "1"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
	})
	k8stest.ServeScale(c)

	ctx := context.Background()
	deps := c.AppsV1().Deployments("shop")
	s, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	s.Spec.Replicas = 5
	if _, err := deps.UpdateScale(ctx, "web", s, metav1.UpdateOptions{}); err != nil {
		log.Fatal(err)
	}
	d, err := deps.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*d.Spec.Replicas, d.ResourceVersion)

	// The Scale read before the update is now stale.
	_, err = deps.UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
	fmt.Println(err)
	// Output:
	// 5 2
	// Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again
}
