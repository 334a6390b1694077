package operator

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// memberPrefix starts the name of every membership Lease.
const memberPrefix = "shadowscale-replica-"

// MemberLeaseName is the name of the membership Lease of the replica
// identity: shadowscale-replica-<identity>, or, when that is not a valid
// object name, shadowscale-replica-<FNV-1a of identity, hex>. Its holder
// is the identity itself.
func MemberLeaseName(identity string) string {
	name := memberPrefix + identity
	if len(validation.IsDNS1123Subdomain(name)) == 0 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(identity))
	return fmt.Sprintf("%s%08x", memberPrefix, h.Sum32())
}

// membership keeps this replica's membership Lease: it writes it every
// RetryPeriod with the lease duration, so that the other replicas count
// this one while it runs, and deletes it when ctx ends, so that they count
// it out at once.
type membership struct {
	cfg   electionConfig
	lease *coordinationv1.Lease // as last written; nil to read it again
}

func (m *membership) run(ctx context.Context) {
	tick := time.NewTicker(m.cfg.retryPeriod)
	defer tick.Stop()
	for {
		if err := m.renew(ctx); err != nil && ctx.Err() == nil {
			m.cfg.log.Warn("membership lease not renewed", "lease", MemberLeaseName(m.cfg.identity), "error", err.Error())
		}
		select {
		case <-ctx.Done():
			m.remove(context.WithoutCancel(ctx))
			return
		case <-tick.C:
		}
	}
}

func (m *membership) renew(ctx context.Context) error {
	leases := m.cfg.client.CoordinationV1().Leases(m.cfg.namespace)
	name := MemberLeaseName(m.cfg.identity)
	now := metav1.NewMicroTime(time.Now())
	spec := coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(m.cfg.identity),
		LeaseDurationSeconds: ptr.To(int32(m.cfg.leaseDuration / time.Second)),
		RenewTime:            &now,
	}
	if m.lease == nil {
		l, err := leases.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			spec.AcquireTime = &now
			l, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: m.cfg.namespace, Name: name}, Spec: spec}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			m.lease = l
			return nil
		}
		if err != nil {
			return err
		}
		m.lease = l
		spec.AcquireTime = &now
	} else {
		spec.AcquireTime = m.lease.Spec.AcquireTime
	}
	l := m.lease.DeepCopy()
	l.Spec = spec
	l, err := leases.Update(ctx, l, metav1.UpdateOptions{})
	if err != nil {
		m.lease = nil
		return err
	}
	m.lease = l
	return nil
}

// remove deletes the membership Lease, within the renew deadline.
func (m *membership) remove(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.renewDeadline)
	defer cancel()
	err := m.cfg.client.CoordinationV1().Leases(m.cfg.namespace).Delete(ctx, MemberLeaseName(m.cfg.identity), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		m.cfg.log.Warn("membership lease not deleted", "lease", MemberLeaseName(m.cfg.identity), "error", err.Error())
	}
}
