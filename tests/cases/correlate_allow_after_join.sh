# correlate_allow_after_join.sh - a rule's allow-list (`unless`) is applied
# to the workload an event is joined to, not only to the fields the event
# carried: an IMDS connect that only auditd saw (no container id) by a
# kube-system agent's process opens nothing, while the same connect by an
# application pod's process is a CRED-03 finding of that pod.
. "$ROOT/tests/cases/lib.sh"
node=ip-10-9-8-7.ec2.internal
# exec PID NS POD UID CID IMAGE BINARY: a Tetragon process_exec on $node
exec_ev() {
	printf '{"process_exec":{"process":{"exec_id":"e%s","pid":%s,"uid":0,"cwd":"/","binary":"%s","arguments":"","flags":"execve clone","start_time":"2025-06-03T09:59:00Z","auid":4294967295,"pod":{"namespace":"%s","name":"%s","uid":"%s","container":{"id":"containerd://%s","name":"c","image":{"id":"x","name":"%s"},"start_time":"2025-06-03T09:00:00Z","pid":7},"workload":"w","workload_kind":"DaemonSet"},"docker":"%.31s","tid":%s}},"node_name":"%s","time":"2025-06-03T09:59:00Z"}\n' \
		"$1" "$1" "$7" "$2" "$3" "$4" "$5" "$6" "$5" "$1" "$node"
}
# connect PID SERIAL EXE: an auditd connect to 169.254.169.254:80 at 10:00
connect_ev() {
	printf 'node=%s type=SYSCALL msg=audit(1748944800.%03d:%s): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=a4ccb a2=10 a3=0 items=0 ppid=1 pid=%s auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="x" exe="%s" key="net_connect"\n' \
		"$node" "$2" "$2" "$1" "$3"
	printf 'node=%s type=SOCKADDR msg=audit(1748944800.%03d:%s): saddr=02000050A9FEA9FE0000000000000000\n' "$node" "$2" "$2"
	printf 'node=%s type=EOE msg=audit(1748944800.%03d:%s): \n' "$node" "$2" "$2"
}
agent=5a1f3c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a
app=9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d
{
	exec_ev 5101 kube-system aws-node-zz9 11111111-2222-4333-8444-555555555555 $agent \
		602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.3 /app/aws-k8s-agent-helper
	exec_ev 6202 shop cart-6d5f7-abcde 66666666-7777-4888-9999-000000000000 $app \
		ghcr.io/acme/cart:2.0 /usr/bin/curl
} > tetragon.jsonl
{ connect_ev 5101 100 501; connect_ev 6202 200 502; } > audit.log
"$CORDON" --db c.db ingest -q tetragon.jsonl audit.log
"$CORDON" --db c.db correlate > /dev/null || true
cred03() { sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'CRED-03' AND workload = 'ctr:$1'"; }
expect_eq "$(cred03 "$(printf %.12s $agent)")" 0 "CRED-03 for the kube-system agent joined by pid"
expect_eq "$(cred03 "$(printf %.12s $app)")" 1 "CRED-03 for the application pod joined by pid"
echo "allow-list after join ok"
