"""EC2 provisioning, dynamic inventory and teardown, against a local moto server.

One scenario in file order (each test builds on the state the previous one
left): refusals before any API call, a first provision with an elastic IP,
a second run that changes nothing, the dynamic inventory, scaling web
2 -> 3 -> 2 (giving the elastic IP up on the way down), a second project in
an existing VPC, and teardowns that remove what they created and nothing
else. Every AWS call goes to the moto server on 127.0.0.1
(tests/ec2/moto_server.py); the credentials are fake.
"""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import ROOT, ansible
from ec2.moto_server import MotoServer, live_instances, project_filter, recap, tagged

PROJECT = "flaskdeploy"
ADMIN_CIDR = "203.0.113.7/32"
# tests/ec2/amis.json: the newest image from Debian's account named debian-12-amd64-*.
DEBIAN_12_NEWEST = "ami-0d12a2026011000a1"
MANAGED = {"flaskdeploy_project": PROJECT, "flaskdeploy_managed": "true"}


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def public_key_file(tmp_path_factory):
    key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    path = tmp_path_factory.mktemp("ssh") / "id_ed25519.pub"
    path.write_text(f"{key} admin@flaskdeploy-test\n")
    return path


def settings(moto, public_key_file, **overrides):
    return {
        "ec2_endpoint_url": moto.endpoint,
        "ec2_admin_cidrs": [ADMIN_CIDR],
        "ec2_ssh_public_key": str(public_key_file),
        # The instances' public addresses are moto's inventions: never connect to them.
        "ec2_wait_for_ssh": False,
        **overrides,
    }


def run_playbook(moto, playbook, extra, credentials=True, check=True):
    with moto.environment(credentials=credentials):
        return ansible("ansible-playbook", playbook, "-e", json.dumps(extra), check=check)


def provision(moto, public_key_file, check=True, credentials=True, **overrides):
    return run_playbook(moto, "playbooks/provision-ec2.yml", settings(moto, public_key_file, **overrides),
                        credentials=credentials, check=check)


def teardown(moto, check=True, credentials=True, **extra):
    # moto's instances hold no data: no backup is asked for.
    return run_playbook(moto, "playbooks/teardown-ec2.yml",
                        {"ec2_endpoint_url": moto.endpoint, "teardown_without_backup": True, **extra},
                        credentials=credentials, check=check)


def dynamic_inventory(moto, tmp_path):
    """ansible-inventory --list over a copy of aws_ec2.yml pointed at moto."""
    copy = tmp_path / "aws_ec2.yml"
    copy.write_text((ROOT / "inventories/prod/aws_ec2.yml").read_text() + f"endpoint_url: {moto.endpoint}\n")
    with moto.environment():
        return json.loads(ansible("ansible-inventory", "-i", str(copy), "--list").stdout)


def plain(value):
    """A value of ansible-inventory's JSON, without its untrusted-data marker."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def hosts_of(inventory, group):
    return sorted(inventory.get(group, {}).get("hosts", []))


def by_role(instances, role):
    return [i for i in instances if tagged(i).get("flaskdeploy_role") == role]


def names(instances):
    return sorted(tagged(i)["Name"] for i in instances)


@pytest.fixture(scope="module")
def bystanders(moto, public_key_file):
    """Resources that exist before provisioning and must outlive every teardown."""
    ec2 = moto.ec2()
    default_vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"])
    other = [{"Key": "flaskdeploy_project", "Value": "other"}, {"Key": "flaskdeploy_managed", "Value": "true"}]
    return {
        # Same CIDR and a group of the same name as the project's, but untagged.
        "vpc": ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"],
        "group": ec2.create_security_group(
            GroupName=f"{PROJECT}-hosts", Description="not the project's", VpcId=default_vpc)["GroupId"],
        # Another project's, tagged like ours but for "other".
        "other_group": ec2.create_security_group(
            GroupName="other-hosts", Description="another project's", VpcId=default_vpc,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": other}])["GroupId"],
        "key": ec2.import_key_pair(
            KeyName="someone-else", PublicKeyMaterial=public_key_file.read_bytes())["KeyPairId"],
        "address": ec2.allocate_address(Domain="vpc")["AllocationId"],
        "instance": ec2.run_instances(
            ImageId=DEBIAN_12_NEWEST, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"],
        "other_web": ec2.run_instances(
            ImageId=DEBIAN_12_NEWEST, MinCount=1, MaxCount=1, InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": other + [
                {"Key": "flaskdeploy_role", "Value": "web"}, {"Key": "Name", "Value": "other-web-1"}]}],
        )["Instances"][0]["InstanceId"],
    }


def assert_bystanders_survive(moto, bystanders):
    ec2 = moto.ec2()
    assert ec2.describe_vpcs(VpcIds=[bystanders["vpc"]])["Vpcs"]
    assert len(ec2.describe_security_groups(GroupIds=[bystanders["group"], bystanders["other_group"]])["SecurityGroups"]) == 2
    assert ec2.describe_key_pairs(KeyPairIds=[bystanders["key"]])["KeyPairs"]
    assert ec2.describe_addresses(AllocationIds=[bystanders["address"]])["Addresses"]
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(
        InstanceIds=[bystanders["instance"], bystanders["other_web"]])["Reservations"] for i in r["Instances"]}
    assert states == {bystanders["instance"]: "running", bystanders["other_web"]: "running"}


# --- Refusals: a clear error before any API call ---------------------------------------------

def test_provision_without_credentials_fails_before_any_api_call(moto, public_key_file):
    before = moto.api_requests()
    result = provision(moto, public_key_file, credentials=False, check=False)
    assert result.returncode != 0
    assert "No AWS credentials in the environment, so nothing was sent to AWS" in result.stdout
    assert "export AWS_ACCESS_KEY_ID=" in result.stdout
    # The preflight play stopped the run: no AWS task started, moto heard nothing.
    assert "PLAY [Give the project a public network" not in result.stdout
    assert moto.api_requests() == before


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ec2_admin_cidrs": []}, "ec2_admin_cidrs must list the IPv4 ranges allowed to SSH"),
    ({"ec2_admin_cidrs": ["10.1.2.3/24"]}, "did you mean 10.1.2.0/24?"),
    ({"ec2_ssh_public_key": ""}, "ec2_ssh_public_key is required"),
    ({"ec2_ssh_public_key": "/nonexistent/id.pub"}, "is neither a public key nor a file on this machine"),
    ({"ec2_ssh_public_key": "ecdsa-sha2-nistp256 AAAAE2VjZHNh me@laptop"}, "EC2 imports only ssh-ed25519 and ssh-rsa"),
    ({"ec2_web_count": 0}, "ec2_web_count must be a whole number, 1 or more"),
    ({"ec2_vpc_id": "vpc-0123abcd"}, "Either give both ec2_vpc_id"),
])
def test_provision_explains_bad_settings_before_any_api_call(moto, public_key_file, overrides, message):
    before = moto.api_requests()
    result = provision(moto, public_key_file, check=False, **overrides)
    assert result.returncode != 0
    assert message in result.stdout
    assert moto.api_requests() == before


@pytest.mark.parametrize(("extra", "credentials", "message"), [
    ({}, True, "Refusing to tear down without confirmation."),
    ({"confirm_teardown": "yes"}, True, 'Refusing to tear down: confirm_teardown "yes" is not the project name "flaskdeploy".'),
    ({"confirm_teardown": PROJECT}, False, "No AWS credentials in the environment, so nothing was sent to AWS"),
])
def test_teardown_refuses_before_any_api_call(moto, extra, credentials, message):
    before = moto.api_requests()
    result = teardown(moto, check=False, credentials=credentials, **extra)
    assert result.returncode != 0
    assert message in result.stdout
    if credentials:
        assert f"-e confirm_teardown={PROJECT}" in result.stdout
    assert "PLAY [Terminate the project's instances" not in result.stdout
    assert moto.api_requests() == before


def test_prod_inventory_without_credentials_loads_and_calls_nothing(moto):
    """The aws_ec2 source stops at its first setting, before it makes an AWS client."""
    before = moto.api_requests()
    with moto.environment(credentials=False, AWS_URL=moto.endpoint):
        result = ansible("ansible-inventory", "-i", "inventories/prod", "--list")
    inventory = json.loads(result.stdout)
    assert "all" in inventory and hosts_of(inventory, "web") == []
    assert "no AWS credentials in the environment" in result.stderr
    # What the plugin says when it did try: boto3 found no credentials to sign with.
    assert "Unable to locate credentials" not in result.stderr
    assert "Failed to describe instances" not in result.stderr
    assert moto.api_requests() == before


# --- Provision, idempotence, inventory, scaling -----------------------------------------------

@pytest.fixture(scope="module")
def first_run(moto, public_key_file, bystanders):
    return provision(moto, public_key_file, ec2_lb_elastic_ip=True)


def test_provision_creates_network_firewall_key_and_instances(moto, first_run):
    assert recap(first_run.stdout)["changed"] > 0
    ec2 = moto.ec2()
    mine = project_filter(PROJECT)

    [vpc] = ec2.describe_vpcs(Filters=mine)["Vpcs"]
    assert vpc["CidrBlock"] == "10.10.0.0/16" and tagged(vpc).items() >= MANAGED.items()
    [subnet] = ec2.describe_subnets(Filters=mine)["Subnets"]
    assert (subnet["VpcId"], subnet["CidrBlock"], subnet["MapPublicIpOnLaunch"]) == (vpc["VpcId"], "10.10.0.0/24", True)
    [gateway] = ec2.describe_internet_gateways(Filters=mine)["InternetGateways"]
    assert [a["VpcId"] for a in gateway["Attachments"]] == [vpc["VpcId"]]
    [table] = ec2.describe_route_tables(Filters=mine)["RouteTables"]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway["InternetGatewayId"]}.items() <= next(
        r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0").items()
    assert [a["SubnetId"] for a in table["Associations"] if "SubnetId" in a] == [subnet["SubnetId"]]

    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]}
    assert sorted(groups) == [f"{PROJECT}-hosts", f"{PROJECT}-lb"]
    hosts_group, lb_group = groups[f"{PROJECT}-hosts"], groups[f"{PROJECT}-lb"]
    assert {g["VpcId"] for g in groups.values()} == {vpc["VpcId"]}
    ingress = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in hosts_group["IpPermissions"]}
    assert sorted(ingress, key=str) == sorted([("tcp", 22, 22), ("-1", None, None)], key=str)
    assert [r["CidrIp"] for r in ingress[("tcp", 22, 22)]["IpRanges"]] == [ADMIN_CIDR]
    assert ingress[("-1", None, None)]["IpRanges"] == []
    assert [p["GroupId"] for p in ingress[("-1", None, None)]["UserIdGroupPairs"]] == [hosts_group["GroupId"]]
    lb_ingress = {(p["IpProtocol"], p["FromPort"]): [r["CidrIp"] for r in p["IpRanges"]] for p in lb_group["IpPermissions"]}
    assert lb_ingress == {("tcp", 80): ["0.0.0.0/0"], ("tcp", 443): ["0.0.0.0/0"]}

    [key] = ec2.describe_key_pairs(Filters=mine)["KeyPairs"]
    assert key["KeyName"] == PROJECT

    instances = live_instances(ec2, mine)
    assert names(instances) == [f"{PROJECT}-db-1", f"{PROJECT}-lb-1", f"{PROJECT}-web-1", f"{PROJECT}-web-2"]
    types = {"lb": "t3.micro", "web": "t3.small", "db": "t3.small"}
    sizes = {"lb": 8, "web": 10, "db": 20}
    for instance in instances:
        role = tagged(instance)["flaskdeploy_role"]
        assert tagged(instance).items() >= MANAGED.items()
        assert instance["State"]["Name"] == "running"
        assert instance["ImageId"] == DEBIAN_12_NEWEST
        assert instance["InstanceType"] == types[role]
        assert instance["KeyName"] == PROJECT
        assert instance["SubnetId"] == subnet["SubnetId"]
        assert instance.get("PublicIpAddress")
        expected_groups = {hosts_group["GroupId"]} | ({lb_group["GroupId"]} if role == "lb" else set())
        assert {g["GroupId"] for g in instance["SecurityGroups"]} == expected_groups
        [volume] = ec2.describe_volumes(VolumeIds=[m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"]])["Volumes"]
        assert volume["Size"] == sizes[role] and volume["Encrypted"]

    [address] = ec2.describe_addresses(Filters=mine)["Addresses"]
    [lb] = by_role(instances, "lb")
    assert address["InstanceId"] == lb["InstanceId"] and lb["PublicIpAddress"] == address["PublicIp"]


def test_second_provision_run_changes_nothing(moto, public_key_file, first_run):
    again = provision(moto, public_key_file, ec2_lb_elastic_ip=True)
    counters = recap(again.stdout)
    assert counters["changed"] == 0, again.stdout[-3000:]
    assert counters["failed"] == 0


def test_dynamic_inventory_groups_the_instances_by_role(moto, first_run, bystanders, tmp_path):
    inventory = dynamic_inventory(moto, tmp_path)
    assert hosts_of(inventory, "lb") == [f"{PROJECT}-lb-1"]
    assert hosts_of(inventory, "web") == [f"{PROJECT}-web-1", f"{PROJECT}-web-2"]
    assert hosts_of(inventory, "db") == [f"{PROJECT}-db-1"]
    assert hosts_of(inventory, "prod") == sorted(hosts_of(inventory, "lb") + hosts_of(inventory, "web") + hosts_of(inventory, "db"))
    hostvars = inventory["_meta"]["hostvars"]
    assert "other-web-1" not in hostvars
    for instance in live_instances(moto.ec2(), project_filter(PROJECT)):
        host = hostvars[tagged(instance)["Name"]]
        assert plain(host["ansible_host"]) == instance["PublicIpAddress"]
        assert plain(host["private_ip"]) == instance["PrivateIpAddress"]
        assert plain(host["site_bootstrap_user"]) == "admin"
    [address] = moto.ec2().describe_addresses(Filters=project_filter(PROJECT))["Addresses"]
    assert plain(hostvars[f"{PROJECT}-lb-1"]["ansible_host"]) == address["PublicIp"]


def test_prod_inventory_merges_ec2_hosts_with_the_environment_settings(moto, first_run):
    """inventories/prod as site.yml reads it: the EC2 hosts get group_vars/prod."""
    with moto.environment(AWS_URL=moto.endpoint):
        graph = ansible("ansible-inventory", "-i", "inventories/prod", "--graph", "prod").stdout
        host = json.loads(ansible("ansible-inventory", "-i", "inventories/prod", "--playbook-dir", ".",
                                  "--host", f"{PROJECT}-web-1").stdout)
    assert f"{PROJECT}-web-2" in graph and f"{PROJECT}-db-1" in graph
    assert plain(host["admin_ssh_public_keys"][0]).startswith("ssh-ed25519 ")
    assert plain(host["site_bootstrap_user"]) == "admin"


def test_scaling_web_from_2_to_3_and_back(moto, public_key_file, first_run, tmp_path):
    ec2 = moto.ec2()
    mine = project_filter(PROJECT)
    others_before = {i["InstanceId"] for i in live_instances(ec2, mine) if tagged(i)["flaskdeploy_role"] != "web"}

    up = provision(moto, public_key_file, ec2_lb_elastic_ip=True, ec2_web_count=3)
    assert recap(up.stdout)["changed"] > 0
    web = by_role(live_instances(ec2, mine), "web")
    assert names(web) == [f"{PROJECT}-web-1", f"{PROJECT}-web-2", f"{PROJECT}-web-3"]
    assert hosts_of(dynamic_inventory(moto, tmp_path), "web") == names(web)
    kept = {tagged(i)["Name"]: i["InstanceId"] for i in web if tagged(i)["Name"] != f"{PROJECT}-web-3"}

    # Scale down and, in the same run, give the elastic IP up.
    [address] = ec2.describe_addresses(Filters=mine)["Addresses"]
    down = provision(moto, public_key_file, ec2_lb_elastic_ip=False, ec2_web_count=2)
    assert recap(down.stdout)["changed"] > 0
    instances = live_instances(ec2, mine)
    web = by_role(instances, "web")
    # The highest number goes; web-1 and web-2 are the same instances as before.
    assert {tagged(i)["Name"]: i["InstanceId"] for i in web} == kept
    inventory = dynamic_inventory(moto, tmp_path)
    assert hosts_of(inventory, "web") == names(web)
    assert {i["InstanceId"] for i in instances if tagged(i)["flaskdeploy_role"] != "web"} == others_before

    assert ec2.describe_addresses(Filters=mine)["Addresses"] == []
    [lb] = by_role(instances, "lb")
    assert lb["PublicIpAddress"] != address["PublicIp"]
    assert plain(inventory["_meta"]["hostvars"][f"{PROJECT}-lb-1"]["ansible_host"]) == lb["PublicIpAddress"]


# --- An existing VPC and subnet -------------------------------------------------------------

def test_project_in_an_existing_vpc_leaves_it_on_teardown(moto, public_key_file, bystanders):
    ec2 = moto.ec2()
    vpc = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.5.0/24")["Subnet"]["SubnetId"]

    provision(moto, public_key_file, ec2_project="byo", ec2_vpc_id=vpc, ec2_subnet_id=subnet, ec2_web_count=1,
              ec2_lb_elastic_ip=True)
    byo = project_filter("byo")
    instances = live_instances(ec2, byo)
    assert names(instances) == ["byo-db-1", "byo-lb-1", "byo-web-1"]
    assert {i["SubnetId"] for i in instances} == {subnet}
    assert {g["VpcId"] for g in ec2.describe_security_groups(Filters=byo)["SecurityGroups"]} == {vpc}
    assert ec2.describe_vpcs(Filters=byo)["Vpcs"] == []
    assert ec2.describe_subnets(Filters=byo)["Subnets"] == []
    [address] = ec2.describe_addresses(Filters=byo)["Addresses"]
    assert address["InstanceId"] == by_role(instances, "lb")[0]["InstanceId"]

    teardown(moto, ec2_project="byo", confirm_teardown="byo")
    assert live_instances(ec2, byo) == []
    assert ec2.describe_addresses(Filters=byo)["Addresses"] == []
    assert ec2.describe_security_groups(Filters=byo)["SecurityGroups"] == []
    assert ec2.describe_key_pairs(Filters=byo)["KeyPairs"] == []
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    # The main project and the bystanders are untouched.
    assert len(live_instances(ec2, project_filter(PROJECT))) == 4
    assert_bystanders_survive(moto, bystanders)


# --- Teardown ---------------------------------------------------------------------------------

def test_teardown_removes_what_provision_created_and_nothing_else(moto, first_run, bystanders):
    result = teardown(moto, confirm_teardown=PROJECT)
    assert recap(result.stdout)["changed"] > 0
    ec2 = moto.ec2()
    mine = project_filter(PROJECT)
    assert live_instances(ec2, mine) == []
    assert ec2.describe_addresses(Filters=mine)["Addresses"] == []
    assert ec2.describe_security_groups(Filters=mine)["SecurityGroups"] == []
    assert ec2.describe_key_pairs(Filters=mine)["KeyPairs"] == []
    assert ec2.describe_route_tables(Filters=mine)["RouteTables"] == []
    assert ec2.describe_internet_gateways(Filters=mine)["InternetGateways"] == []
    assert ec2.describe_subnets(Filters=mine)["Subnets"] == []
    assert ec2.describe_vpcs(Filters=mine)["Vpcs"] == []
    assert_bystanders_survive(moto, bystanders)
