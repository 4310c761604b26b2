#!/bin/sh
# Rendered by hakube: wait until every node of ha-vip is registered and Ready.
NODES="m1 m2 m3 w1 w2"
deadline=$(( $(date +%s) + 300 ))
while :; do
    waiting=""
    for n in $NODES; do
        s=$(kubectl --kubeconfig /etc/kubernetes/admin.conf get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
        [ "$s" = "True" ] || waiting="$waiting $n"
    done
    [ -z "$waiting" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "nodes not Ready after 300s:$waiting" >&2; kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o wide >&2; exit 1; fi
    sleep 3
done
kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o wide
