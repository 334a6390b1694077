package k8s_test

import (
	"context"
	"fmt"
	"log"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shadowscale/shadowscale/drivers/k8s"
)

// Current reads spec.replicas and status.readyReplicas; here from a fake
// clientset holding one Deployment.
func ExampleWorkload_Current() {
	replicas := int32(4)
	client := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     appsv1.DeploymentStatus{ReadyReplicas: 3},
	})
	w, err := k8s.NewWorkload(client, k8s.Config{Namespace: "shop", Name: "web"})
	if err != nil {
		log.Fatal(err)
	}
	st, err := w.Current(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: desired %d, ready %d\n", w.Config(), st.Desired, st.Ready)
	// Output:
	// Deployment shop/web: desired 4, ready 3
}

// In a cluster, build the clientset from RESTConfig: in a pod the service
// account, elsewhere $KUBECONFIG or ~/.kube/config.
func ExampleNewWorkload() {
	cfg, err := k8s.RESTConfig("")
	if err != nil {
		log.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	w, err := k8s.NewWorkload(client, k8s.Config{Namespace: "shop", Name: "web"})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Scale(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
}
