package kubetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// NodeName is the fake Node the fake kubelet binds every pod to.
const NodeName = "kubetest-node"

// Kubelet is a fake kubelet: it binds every unscheduled pod to [NodeName],
// marks it Running and Ready a delay after binding, and completes the
// deletion of pods the controllers delete (as a kubelet does once the
// containers have stopped). It runs no container.
type Kubelet struct {
	client kubernetes.Interface
	pods   listersv1.PodLister
	queue  workqueue.TypedDelayingInterface[string]
	delay  atomic.Int64 // time.Duration

	mu    sync.Mutex
	bound map[string]time.Time // pod key → when it was bound

	cancel context.CancelFunc
	wg     sync.WaitGroup
	ready  atomic.Int64
}

// SetReadyDelay changes the delay between binding a pod and marking it
// Ready, for pods bound from now on.
func (k *Kubelet) SetReadyDelay(d time.Duration) { k.delay.Store(int64(d)) }

// ReadyCount is how many pods the kubelet has marked Ready so far.
func (k *Kubelet) ReadyCount() int { return int(k.ready.Load()) }

func startKubelet(client kubernetes.Interface, delay time.Duration) (*Kubelet, error) {
	ctx, cancel := context.WithCancel(context.Background())
	k := &Kubelet{
		client: client,
		queue:  workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Name: "kubetest-kubelet"}),
		bound:  map[string]time.Time{},
		cancel: cancel,
	}
	k.delay.Store(int64(delay))
	if err := k.createNode(ctx); err != nil {
		cancel()
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods()
	k.pods = podInformer.Lister()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		cancel()
		return nil, err
	}
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			cancel()
			factory.Shutdown()
			return nil, fmt.Errorf("kubetest: kubelet: cache of %v did not sync", typ)
		}
	}
	for range 2 {
		k.wg.Go(func() {
			for k.next(ctx) {
			}
		})
	}
	k.wg.Go(func() {
		<-ctx.Done()
		k.queue.ShutDown()
		factory.Shutdown()
	})
	return k, nil
}

func (k *Kubelet) stop() {
	k.cancel()
	k.wg.Wait()
}

func (k *Kubelet) createNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1000"),
		corev1.ResourceMemory: resource.MustParse("1Ti"),
		corev1.ResourcePods:   resource.MustParse("10000"),
	}
	node, err := k.client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("kubetest: kubelet: create node: %w", err)
	}
	node.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
	}
	if _, err := k.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kubetest: kubelet: node status: %w", err)
	}
	return nil
}

// next handles one queued pod; false once the queue shuts down.
func (k *Kubelet) next(ctx context.Context) bool {
	key, shutdown := k.queue.Get()
	if shutdown {
		return false
	}
	defer k.queue.Done(key)
	retry, err := k.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		k.queue.AddAfter(key, 100*time.Millisecond)
	case retry > 0:
		k.queue.AddAfter(key, retry)
	}
	return true
}

// sync moves one pod along: delete → gone, unbound → bound, bound →
// Ready once the delay has passed (else it returns the time left).
func (k *Kubelet) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		k.mu.Lock()
		delete(k.bound, key)
		k.mu.Unlock()
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pods := k.client.CoreV1().Pods(ns)
	switch {
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	case pod.Spec.NodeName == "":
		err := pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: NodeName},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsConflict(err) {
			return 0, err
		}
		k.mu.Lock()
		k.bound[key] = time.Now()
		k.mu.Unlock()
		return max(time.Duration(k.delay.Load()), time.Nanosecond), nil
	case podReady(pod):
		return 0, nil
	}
	k.mu.Lock()
	at, ok := k.bound[key]
	k.mu.Unlock()
	if ok {
		if left := time.Duration(k.delay.Load()) - time.Since(at); left > 0 {
			return left, nil
		}
	}
	return 0, k.markReady(ctx, pod)
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (k *Kubelet) markReady(ctx context.Context, pod *corev1.Pod) error {
	now := metav1.Now()
	p := pod.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.HostIP = "127.0.0.1"
	p.Status.PodIP = "127.0.0.1"
	p.Status.StartTime = &now
	p.Status.Conditions = nil
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	p.Status.ContainerStatuses = nil
	started := true
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "kubetest://" + c.Image, Ready: true, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	// A Conflict is returned and retried: the informer has a newer pod.
	_, err := k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		k.ready.Add(1)
	}
	return err
}
