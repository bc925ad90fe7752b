// IP_ADDRESS: dotted-quad IPv4 (octets 0–255, no leading zeros, optional CIDR) and IPv6 in every
// RFC 4291/5952 form, checked by node:net's parser.
import { describe, expect, it } from 'vitest';
import { ipAddressDetector } from '../../../../daemon/redaction/detectors/ip-address.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(ipAddressDetector, {
  valid: [
    'The server at ⟦192.168.1.20⟧ is down.',
    'Login from ⟦8.8.8.8⟧ was blocked',
    'allow ⟦10.0.0.0/8⟧ only',
    'loopback ⟦127.0.0.1⟧',
    'v6 ⟦2001:db8::1⟧ answers',
    'full ⟦2001:0db8:85a3:0000:0000:8a2e:0370:7334⟧',
    'link-local ⟦fe80::1ff:fe23:4567:890a%eth0⟧',
    'mapped ⟦::ffff:192.0.2.1⟧',
    'route ⟦2001:db8::/32⟧',
    'host=⟦255.255.255.255⟧',
  ],
  nearMiss: [
    'bad 256.1.2.3',
    'short 1.2.3',
    'octet 192.168.1.300',
    'leading zero 01.2.3.4',
    'six parts 1.2.3.4.5.6',
    'version 1.2.3.4 released', // a version, by context
    'v1.2.3.4',
    'twice 2001::db8::1',
    'group 12345::1',
    'time 10:30:00',
    'mac aa:bb:cc:dd:ee:ff',
    'std::vector<int> and Foo::Bar::baz()',
    'unspecified ::',
  ],
});

describe('IP context words', () => {
  it('lowers an address after "version" and raises one after "ip"', () => {
    const [version] = ipAddressDetector.detect('version 1.2.3.4');
    const [ip] = ipAddressDetector.detect('ip 1.2.3.4');
    expect(ip?.score).toBeGreaterThan(version?.score ?? 1);
    expect(counted(ipAddressDetector, 'ip 1.2.3.4')).toHaveLength(1);
  });
});
