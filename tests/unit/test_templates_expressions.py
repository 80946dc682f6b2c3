# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The ARM expression subset: what it evaluates, where each value was written, and what it never guesses."""
import pytest

from azext_azurelinux.templates import Location
from azext_azurelinux.templates.expressions import Traced, Unknown, evaluate, evaluate_string, plain, wrap

HERE = Location("t.json", 7)
PARAM = Location("t.json", 3)
VARIABLE = Location("t.json", 5)


class FakeScope:
    """Parameters and variables as Traced values, copy indexes by loop name."""

    def __init__(self, parameters=None, variables=None, copies=None):
        self.parameters = {k.lower(): v for k, v in (parameters or {}).items()}
        self.variables = {k.lower(): v for k, v in (variables or {}).items()}
        self.copies = copies or {}

    def parameter(self, name):
        return self.parameters.get(name.lower())

    def variable(self, name):
        return self.variables.get(name.lower())

    def copy_index(self, loop):
        return self.copies.get("" if loop is None else loop.lower())

    def within(self, loop, index):
        return FakeScope(None, None, dict(self.copies, **{"" if loop is None else loop.lower(): index}))

    def where(self, path):
        return Location("t.json", 10 + len(path))


SCOPE = FakeScope(
    parameters={"size": Traced("Standard_NC6s_v3", PARAM), "env": Traced("prod", PARAM), "count": Traced(2, PARAM),
                "flag": Traced(True, PARAM), "pools": wrap([{"name": "a", "vmSize": "X"}, {"name": "b"}], PARAM),
                "sku": Traced("azurelinux", PARAM)},
    variables={"pools": Traced([Traced({"vmSize": Traced("Standard_D4ds_v5", Location("t.json", 20))}, VARIABLE),
                                Traced({"vmSize": Traced("Standard_NC4as_T4_v3", Location("t.json", 21))},
                                       VARIABLE)], VARIABLE)},
    copies={"": 1, "agentpoolprofiles": 0})


def value(text, scope=SCOPE):
    node = evaluate_string(text, scope, HERE)
    assert isinstance(node, Traced), node
    return plain(node)


@pytest.mark.parametrize("text, expected", [
    ("plain text", "plain text"),
    ("[[not an expression]", "[not an expression]"),
    ("[not closed", "[not closed"),
    ("['it''s']", "it's"),
    ("[42]", 42),
    ("[-3]", -3),
    ("[concat('Standard_', 'NC6s', '_v3')]", "Standard_NC6s_v3"),
    ("[concat('a', 1, true())]", "a1True"),
    ("[format('{0}/{1}', 'aks', 'gpu')]", "aks/gpu"),
    ("[format('{{{0}}}', 'x')]", "{x}"),
    ("[toLower('AzureLinux')]", "azurelinux"),
    ("[toUpper(parameters('sku'))]", "AZURELINUX"),
    ("[if(equals(parameters('env'), 'prod'), 'big', 'small')]", "big"),
    ("[if(equals(parameters('env'), 'dev'), reference('x').y, 'small')]", "small"),
    ("[equals('a', 'A')]", False),
    ("[equals(1, true())]", False),
    ("[length(parameters('pools'))]", 2),
    ("[length('four')]", 4),
    ("[parameters('pools')[1].name]", "b"),
    ("[parameters('pools')[0]['vmSize']]", "X"),
    ("[parameters('POOLS')[0].VMSIZE]", "X"),
    ("[variables('pools')[copyIndex()].vmSize]", "Standard_NC4as_T4_v3"),
    ("[variables('pools')[copyIndex('agentPoolProfiles')].vmSize]", "Standard_D4ds_v5"),
    ("[copyIndex(1)]", 2),
    ("[copyIndex('agentPoolProfiles', 5)]", 5),
    ("[ concat( 'a' , 'b' ) ]", "ab"),
    ("[int('12')]", 12),
    ("[bool('TRUE')]", True),
    ("[string(parameters('count'))]", "2"),
    ("[string(true())]", "True"),
    ("[not(parameters('flag'))]", False),
    ("[and(true(), not(false()))]", True),
    ("[or(false(), equals(2, parameters('count')))]", True),
    ("[empty('')]", True),
    ("[coalesce(null(), 'fallback')]", "fallback"),
    ("[tryGet(parameters('pools')[1], 'vmSize')]", None),
    ("[tryGet(parameters('pools')[0], 'vmSize')]", "X"),
    ("[concat(createArray('a'), createArray('b', 'c'))]", ["a", "b", "c"]),
    ("[add(copyIndex(), 10)]", 11),
    ("[json('{\"a\": [1]}').a[0]]", 1),
    ("[contains(parameters('pools')[0], 'VMSIZE')]", True),
    ("[union(json('{\"a\": 1}'), json('{\"b\": 2}'))]", {"a": 1, "b": 2}),
])
def test_evaluates_the_subset(text, expected):
    assert value(text) == expected


def test_a_parameter_keeps_the_place_it_was_written():
    node = evaluate_string("[parameters('size')]", SCOPE, HERE)
    assert node.where == PARAM


def test_indexing_a_variable_points_at_the_element():
    node = evaluate_string("[variables('pools')[1].vmSize]", SCOPE, HERE)
    assert node.where == Location("t.json", 21)


def test_case_changes_keep_the_place_of_their_argument():
    assert evaluate_string("[toLower(parameters('size'))]", SCOPE, HERE).where == PARAM


def test_if_takes_the_place_of_the_branch_it_takes():
    assert evaluate_string("[if(true(), parameters('size'), 'x')]", SCOPE, HERE).where == PARAM
    assert evaluate_string("[if(false(), parameters('size'), 'x')]", SCOPE, HERE).where == HERE


def test_a_new_string_is_written_where_the_expression_is():
    assert evaluate_string("[concat(parameters('size'), '-x')]", SCOPE, HERE).where == HERE


def test_concat_of_arrays_keeps_each_element_place():
    node = evaluate_string("[concat(variables('pools'), createArray('x'))]", SCOPE, HERE)
    assert [item.where for item in node.value] == [VARIABLE, VARIABLE, HERE]


@pytest.mark.parametrize("text, reason", [
    ("[reference('aks').kubernetesVersion]", "reference() is known only at deployment"),
    ("[resourceGroup().location]", "resourcegroup() is known only at deployment"),
    ("[subscription().subscriptionId]", "subscription() is known only at deployment"),
    ("[listKeys('x', '2020-01-01').keys[0]]", "listkeys() is known only at deployment"),
    ("[uniqueString('a')]", "uniquestring() is outside the functions this reader evaluates"),
    ("[myNamespace.myFunction('a')]", "user-defined function myNamespace.myFunction()"),
    ("[parameters('missing')]", "the template declares no parameter 'missing'"),
    ("[variables('missing')]", "the template declares no variable 'missing'"),
    ("[concat('a', reference('x'))]", "reference() is known only at deployment"),
    ("[parameters('pools')[5].name]", "5 is not in the value it indexes"),
    ("[format('{0:D2}', 1)]", "format specifier"),
    ("[int('twelve')]", "int() cannot take these arguments"),
    ("[concat('a', ]", "not an expression this reader evaluates"),
    ("[copyIndex('elsewhere')]", "copyIndex(elsewhere) is used outside its copy loop"),
])
def test_what_is_not_evaluated_says_why_and_keeps_the_text(text, reason):
    node = evaluate_string(text, SCOPE, HERE)
    assert isinstance(node, Unknown)
    assert reason in node.reason
    assert node.expression == text
    assert node.where == HERE


def test_an_unknown_inside_an_array_blocks_only_what_uses_it():
    pools = Traced([Traced("known", PARAM), Unknown("[reference('x')]", "later", PARAM)], PARAM)
    scope = FakeScope(parameters={"pools": pools})
    assert value("[parameters('pools')[0]]", scope) == "known"
    assert isinstance(evaluate_string("[parameters('pools')[1]]", scope, HERE), Unknown)
    assert isinstance(evaluate_string("[length(string(parameters('pools')))]", scope, HERE), Unknown)
    assert value("[length(parameters('pools'))]", scope) == 2


def test_property_copy_expands_with_its_own_index():
    template = {"name": "aks", "copy": [{"name": "agentPoolProfiles", "count": "[parameters('count')]",
                                         "input": {"name": "[concat('pool', copyIndex('agentPoolProfiles', 1))]"}}]}
    node = evaluate(template, ("properties",), SCOPE)
    assert plain(node) == {"name": "aks", "agentPoolProfiles": [{"name": "pool1"}, {"name": "pool2"}]}


def test_a_copy_count_that_is_not_known_makes_the_property_unknown():
    template = {"copy": [{"name": "agentPoolProfiles", "count": "[length(reference('x'))]", "input": {}}]}
    node = evaluate(template, (), SCOPE)
    assert isinstance(node.value["agentPoolProfiles"], Unknown)
