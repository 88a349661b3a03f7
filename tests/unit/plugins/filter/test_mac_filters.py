# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hanet.failover.plugins.filter.mac import FilterModule

FILTERS = FilterModule().filters()


def test_filters_are_exposed():
    assert sorted(FILTERS) == ['is_laa_mac', 'is_unicast_mac', 'laa_mac', 'mac_normalize', 'vrrp_mac']


def test_values():
    assert FILTERS['vrrp_mac'](51) == '00:00:5e:00:01:33'
    assert FILTERS['vrrp_mac'](51, 6) == '00:00:5e:00:02:33'
    assert FILTERS['mac_normalize']('0000.5E00.0133') == '00:00:5e:00:01:33'
    assert FILTERS['is_laa_mac'](FILTERS['laa_mac']('cluster', '198.51.100.10'))
    assert FILTERS['is_unicast_mac']('00:00:5e:00:01:33')
    assert not FILTERS['is_unicast_mac']('01:00:5e:00:00:12')
    assert not FILTERS['is_unicast_mac']('00:00:00:00:00:00')
    assert not FILTERS['is_laa_mac']('not-a-mac')
    assert not FILTERS['is_laa_mac']('00:00:5e:00:01:33')


@pytest.mark.parametrize('name,args,message', [
    ('vrrp_mac', (0,), 'hanet.failover.vrrp_mac: vrid must be between 1 and 255, got 0'),
    ('vrrp_mac', (256,), 'vrid must be between 1 and 255'),
    ('vrrp_mac', ('x',), 'vrid must be a whole number'),
    ('vrrp_mac', (1, 7), 'family must be 4 or 6'),
    ('laa_mac', ('',), 'hanet.failover.laa_mac: laa_mac seed parts must be non-empty'),
    ('laa_mac', (None,), 'seed parts must be non-empty'),
    ('mac_normalize', ('02:00:00:00:00',), "hanet.failover.mac_normalize: '02:00:00:00:00' is not a MAC"),
    ('mac_normalize', ('gg:00:00:00:00:00',), 'is not a MAC'),
])
def test_bad_input_names_the_filter_and_the_problem(name, args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FILTERS[name](*args)
