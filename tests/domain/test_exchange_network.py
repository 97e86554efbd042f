"""An exchange of many cities: which cities may be paired under each policy."""

from bot.domain.exchange import City, Exchange, PairingPolicy


def _city(cid: int, name: str) -> City:
    return City(cid, cid - 1, name, "UTC", ("en",), frozenset({6, 7}))


WS, BUCHANAN, KUMASI, CHENGDU = (
    _city(1, "Winston-Salem"),
    _city(2, "Buchanan"),
    _city(3, "Kumasi"),
    _city(4, "Chengdu"),
)


def test_two_cities_pair_with_each_other_under_either_policy() -> None:
    """Two cities: 'any', 'hub' and a hub that was removed all mean the same, as before."""
    for policy, hub in ((PairingPolicy.ANY, None), (PairingPolicy.HUB, 1), (PairingPolicy.HUB, 9)):
        exchange = Exchange(1, 1, "X", (WS, BUCHANAN), policy, hub)
        assert exchange.partner_of(1) == BUCHANAN
        assert exchange.partner_of(2) == WS
        assert exchange.partnerships() == ((WS, BUCHANAN),)
        assert exchange.may_pair(1, 2) and not exchange.may_pair(1, 1)
        assert not exchange.is_network


def test_hub_network_pairs_partners_with_the_hub_only() -> None:
    exchange = Exchange(1, 1, "X", (WS, BUCHANAN, KUMASI, CHENGDU), PairingPolicy.HUB, 1)
    assert exchange.is_network and exchange.hub == WS
    assert exchange.partners_of(1) == (BUCHANAN, KUMASI, CHENGDU)
    assert exchange.partners_of(3) == (WS,)
    assert exchange.may_pair(3, 1) and not exchange.may_pair(2, 3)
    assert exchange.partnerships() == ((WS, BUCHANAN), (WS, KUMASI), (WS, CHENGDU))


def test_any_network_pairs_any_two_different_cities() -> None:
    exchange = Exchange(1, 1, "X", (WS, BUCHANAN, KUMASI), PairingPolicy.ANY, 1)
    assert exchange.hub is None
    assert exchange.partners_of(2) == (WS, KUMASI)
    assert exchange.may_pair(2, 3) and not exchange.may_pair(3, 3)
    assert len(exchange.partnerships()) == 3
