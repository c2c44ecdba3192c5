#!/usr/bin/python3
"""Where a client's CPU goes in the SSH benchmark (tools/bench:ssh).

Runs the benchmark for one peer under `perf record -e cpu-clock` (a software
clock event, so it works in VMs without a PMU; hardware counters are not
needed), then sorts every sample of the client process into a category by
the frames on its stack, e.g. "Ed25519 host-key signature verify",
"send() incl. loopback delivery to sshd", "memcpy in PacketReader::Feed".
Samples taken before the measured part (sshd start, backend loading) are
left out.

  tools/bench/ssh_profile.py logins   [--peer=parley-openssl] [--table=ctr]
                                      [--count=300]
  tools/bench/ssh_profile.py download [--peer=parley-openssl] [--table=gcm]
                                      [--megabytes=200]

Needs `perf` (linux-perf) and root (or perf_event_paranoid <= 1). Sampling
adds overhead, so read the shares, not the absolute times. Categories are
matched in order, from the first rule down; a sample matching none is
"other user space" (the most frequent of those are listed).
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile

COMMON_SETUP = [
    'SshdServer', 'LoadCryptoBackend', 'GenerateKeyPair', '_dl_start',
    'dl_main', 'RunSubprocess', 'Subprocess::', '_dl_relocate', '_dl_map',
    'dl_open', 'MeasureCryptoFloor'
]

LOGIN_RULES = [
    ('setup (excluded)', COMMON_SETUP),
    ('Ed25519 host-key signature verify', ['VerifySshSignature']),
    ('X25519 key generation', ['NewKeyAgreement']),
    ('X25519 shared secret', ['ComputeSharedSecret']),
    ('random bytes (packet padding, cookies)', ['RandomBytes']),
    ('HMAC-SHA256 (packet MACs)', ['Hmac', 'Mac::Verify', 'HMAC']),
    ('AES (packet encryption)', ['AesCtr', 'AesGcm', 'Aead']),
    ('known_hosts check', ['VerifyHostKey', 'KnownHosts']),
    ('getaddrinfo (AI_ADDRCONFIG netlink query)', ['getaddrinfo',
                                                   '__check_pf']),
    ('connect()', ['__libc_connect', '__sys_connect']),
    ('close()', ['__close', '__x64_sys_close', 'close_nocancel']),
    ('send() incl. loopback delivery to sshd', ['__libc_send', '__send',
                                                '__x64_sys_sendto']),
    ('recv()', ['__libc_recv', '__x64_sys_recvfrom']),
    ('poll() / sleep + wake-up', ['poll', 'schedule']),
    ('other kernel', ['[k]']),
]

DOWNLOAD_RULES = [
    ('setup and login (excluded)', COMMON_SETUP + [
        'Session::Connect', 'AuthPassword', 'ParleyPeer::Login',
        'Peer::Login'
    ]),
    ('HMAC-SHA256 verify', ['Hmac', 'Mac::Verify', 'sha256_block', 'SHA256',
                            'HMAC']),
    ('AES-CTR decrypt', ['AesCtr', 'aesni_ctr32', 'ctr128']),
    ('AES-GCM decrypt', ['Gcm', 'gcm', 'Aead', 'ghash']),
    ('memcpy in PacketReader::Feed (socket bytes -> reader buffer)',
     ['PacketReader::Feed']),
    ('memcpy in PacketReader::Deliver (payload copy)',
     ['PacketReader::Deliver']),
    ('memcpy into the channel ByteQueue (Connection::Handle)',
     ['Connection::Handle', 'ByteQueue::Append']),
    ('memcpy to the caller in Connection::Read', ['Connection::Read']),
    ('recv() (kernel copy out of the socket)', ['__libc_recv',
                                               '__x64_sys_recvfrom']),
    ('send() (window adjusts)', ['__libc_send', '__send',
                                 '__x64_sys_sendto']),
    ('poll() / sleep + wake-up', ['poll', 'schedule']),
    ('other kernel', ['[k]']),
]


def classify(data, rules, show_other):
    out = subprocess.run(['perf', 'script', '-i', data, '-F', 'ip,sym'],
                         capture_output=True, text=True, check=True).stdout
    counts = collections.Counter()
    other = collections.Counter()
    for block in out.strip().split('\n\n'):
        frames = [l.strip() for l in block.split('\n') if l.strip()]
        if not frames:
            continue
        stack = ' | '.join(frames)
        for name, keys in rules:
            if any(k in stack for k in keys):
                counts[name] += 1
                break
        else:
            counts['other user space'] += 1
            other[' <- '.join(
                f.split(' ', 1)[-1] for f in frames[:3])[:200]] += 1
    excluded = rules[0][0]
    measured = sum(counts.values()) - counts[excluded]
    print('%d samples, %d in the measured part' %
          (sum(counts.values()), measured))
    for name, n in counts.most_common():
        if name != excluded:
            print('%6.1f%%  %s' % (100.0 * n / max(measured, 1), name))
    if show_other:
        print('\nmost frequent "other user space" stacks (leaf first):')
        for stack, n in other.most_common(show_other):
            print('%5d  %s' % (n, stack))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('what', choices=['logins', 'download'])
    ap.add_argument('--peer', default='parley-openssl')
    ap.add_argument('--table', default='ctr', choices=['ctr', 'gcm'])
    ap.add_argument('--count', type=int, default=300, help='logins')
    ap.add_argument('--megabytes', type=int, default=200)
    ap.add_argument('--show-other', type=int, default=10)
    args = ap.parse_args()

    data = os.path.join(tempfile.mkdtemp(prefix='ssh_profile.'), 'perf.data')
    logins = args.count if args.what == 'logins' else 1
    megabytes = args.megabytes if args.what == 'download' else 0
    run_under = ('perf record --no-inherit -e cpu-clock -F 10000 '
                 '--call-graph dwarf,8192 -o %s' % data)
    cmd = [
        'bazel', 'run', '-c', 'opt', '--run_under=' + run_under,
        '//tools/bench:ssh', '--', '--logins=%d' % logins,
        '--megabytes=%d' % megabytes, '--downloads=1',
        '--tables=' + args.table, '--peers=' + args.peer
    ]
    print('+ ' + ' '.join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    classify(data, LOGIN_RULES if args.what == 'logins' else DOWNLOAD_RULES,
             args.show_other)
    print('\nperf data: %s (perf report -i %s --children)' % (data, data))


if __name__ == '__main__':
    main()
