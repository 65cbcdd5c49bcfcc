import t from 'tap';
import { startSshHosts } from '../ssh-hosts.js';

/**
 * The SSH lab's `unreachable` addresses (ssh-hosts.ts) are refused, naming the address, before any
 * namespace is made when they are outside the lab's network or a host's own: the route would send
 * a real address (or a host of the lab) nowhere. Needs no root: nothing is created.
 */
t.test('an unreachable address outside 10.201.0.0/24 or taken by a host is refused before the lab is made', async (t) => {
  await t.rejects(startSshHosts({ login: '10.201.0.10', w1: '10.201.0.11' }, { unreachable: ['192.168.1.5'] }),
    { message: 'startSshHosts: unreachable 192.168.1.5 must be an address of 10.201.0.0/24 that no host has (hosts: 10.201.0.10, 10.201.0.11)' });
  await t.rejects(startSshHosts({ login: '10.201.0.10', w1: '10.201.0.11' }, { unreachable: ['10.201.0.99', '10.201.0.11'] }),
    { message: 'startSshHosts: unreachable 10.201.0.11 must be an address of 10.201.0.0/24 that no host has (hosts: 10.201.0.10, 10.201.0.11)' });
});
