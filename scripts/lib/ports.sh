# Free local ports for the test scripts (sourced by scripts/clients-test.sh and
# scripts/operations-check.sh):
#   free_port    sets free_port to a free port of 127.0.0.1 that this script has not handed
#                out already (not printed: the list of ports handed out has to outlive the
#                call, which a $(…) subshell would lose)
#   listening P  succeeds once something accepts TCP connections on 127.0.0.1:P
used_ports=()
free_port() {
  local used
  while :; do
    free_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    for used in "${used_ports[@]}"; do
      [[ "$used" == "$free_port" ]] && continue 2
    done
    used_ports+=("$free_port")
    return
  done
}
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
