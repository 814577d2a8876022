#!/usr/bin/env python3
"""Start moto's server for the ebws local AWS bench, with patches for verified moto gaps.

Usage: python3 moto_launcher.py --port PORT [--host 127.0.0.1] [--no-patch]

Every patch below closes a difference between moto 5.2.1 and AWS that was observed
against the running server and is backed by the AWS documentation cited next to it.
Each one has a test in test/bench/moto*.test.ts that fails without the patch
(--no-patch starts the same server without them, so the tests can show each gap).
Patches are monkeypatches applied in this process only; site-packages is not edited.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# The Listener.InstanceProtocol documentation gives no default for an omitted
# InstanceProtocol, only that it must be at the same layer as Protocol
# (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_Listener.html),
# so an omitted value keeps moto's behaviour of echoing Protocol (same layer, same security level).

# Documented policy types (aws elb describe-load-balancer-policy-types; botocore's
# elb examples): anything else is PolicyTypeNotFound.
POLICY_TYPES = {
    "ProxyProtocolPolicyType",
    "PublicKeyPolicyType",
    "AppCookieStickinessPolicyType",
    "LBCookieStickinessPolicyType",
    "SSLNegotiationPolicyType",
    "BackendServerAuthenticationPolicyType",
}

# Predefined security policies and the TLS versions each enables, from "Predefined SSL
# security policies for Classic Load Balancers"
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-security-policy-table.html).
# Only the protocol attributes and Server-Defined-Cipher-Order are modelled; AWS also lists
# one boolean attribute per cipher, which the bench leaves out.
PREDEFINED_SECURITY_POLICIES = {
    "ELBSecurityPolicy-TLS-1-2-2017-01": ("TLSv1.2",),
    "ELBSecurityPolicy-TLS-1-1-2017-01": ("TLSv1.1", "TLSv1.2"),
    "ELBSecurityPolicy-2016-08": ("TLSv1", "TLSv1.1", "TLSv1.2"),
    "ELBSecurityPolicy-2015-05": ("TLSv1", "TLSv1.1", "TLSv1.2"),
}


def apply_patches() -> None:
    from moto.acm import models as acm_models
    from moto.elb import exceptions as elb_exc
    from moto.elb import models as elb_models
    from moto.elb import responses as elb_responses
    from moto.elb.policies import OtherPolicy

    ELBClientError = elb_exc.ELBClientError
    LoadBalancerNotFoundError = elb_exc.LoadBalancerNotFoundError
    DuplicateListenerError = elb_exc.DuplicateListenerError
    FakeListener = elb_models.FakeListener
    FakeBackend = elb_models.FakeBackend
    LoadBalancer = elb_models.LoadBalancer
    ELBBackend = elb_models.ELBBackend

    class ListenerNotFoundError(ELBClientError):
        def __init__(self, name: str, port: Any) -> None:
            super().__init__(
                "ListenerNotFound",
                f"There is no listener on port {port} of load balancer {name}",
            )

    class PolicyNotFoundError(ELBClientError):
        def __init__(self, names: list[str], lb_name: str | None) -> None:
            where = f" for load balancer {lb_name}" if lb_name else ""
            super().__init__(
                "PolicyNotFound",
                f"There is no policy with name {', '.join(names)}{where}",
            )

    class DuplicatePolicyNameError(ELBClientError):
        def __init__(self, name: str, lb_name: str) -> None:
            super().__init__(
                "DuplicatePolicyName",
                f"Policy {name} already exists for load balancer {lb_name}",
            )

    class PolicyTypeNotFoundError(ELBClientError):
        def __init__(self, type_name: str) -> None:
            super().__init__(
                "PolicyTypeNotFound", f"There is no policy type named {type_name}"
            )

    # --- Patch 1: store and return Listener.InstanceProtocol -----------------------------
    # moto's FakeListener.instance_protocol just returns Protocol, so an SSL:443 -> TCP:80
    # listener reads back as SSL -> SSL. AWS stores InstanceProtocol as given
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_Listener.html).
    def _instance_protocol(self: Any) -> str:
        stored = getattr(self, "_ebws_instance_protocol", None)
        return stored or self.protocol

    FakeListener.instance_protocol = property(_instance_protocol)  # type: ignore[assignment]

    def _port_value(port: dict[str, Any], snake: str, camel: str) -> Any:
        value = port.get(snake)
        return value if value is not None else port.get(camel)

    def _set_instance_protocol(listener: Any, port: dict[str, Any]) -> None:
        given = _port_value(port, "instance_protocol", "InstanceProtocol")
        listener._ebws_instance_protocol = str(given).upper() if given else None

    original_lb_init = LoadBalancer.__init__

    def lb_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_lb_init(self, *args, **kwargs)
        ports = kwargs.get("ports") if "ports" in kwargs else args[3]
        for listener, port in zip(self.listeners, ports):
            _set_instance_protocol(listener, port)

    LoadBalancer.__init__ = lb_init  # type: ignore[method-assign]

    # --- Patch 2: unknown load balancer names are LoadBalancerNotFound, not HTTP 500 -------
    # moto's get_load_balancer returns None and callers crash (e.g. DeleteLoadBalancerListeners
    # on a missing name answers an HTML 500). AWS lists AccessPointNotFoundException
    # (code LoadBalancerNotFound) for these operations
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DeleteLoadBalancerListeners.html).
    def get_load_balancer(self: Any, load_balancer_name: str) -> Any:
        lb = self.load_balancers.get(load_balancer_name)
        if lb is None:
            raise LoadBalancerNotFoundError(load_balancer_name)
        return lb

    ELBBackend.get_load_balancer = get_load_balancer  # type: ignore[method-assign]

    # CreateLoadBalancerListeners: missing LB -> LoadBalancerNotFound; InstanceProtocol stored
    # and compared when the port exists ("the properties of the new listener must match the
    # properties of the existing listener",
    # https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_CreateLoadBalancerListeners.html).
    def create_load_balancer_listeners(self: Any, name: str, ports: list[dict[str, Any]]) -> Any:
        balancer = self.get_load_balancer(name)
        for port in ports:
            protocol = str(port["Protocol"]).upper()
            instance_port = port["InstancePort"]
            lb_port = port["LoadBalancerPort"]
            ssl_certificate_id = port.get("SSLCertificateId")
            instance_protocol = str(port.get("InstanceProtocol") or protocol).upper()
            existing = [
                lst for lst in balancer.listeners if int(lst.load_balancer_port) == int(lb_port)
            ]
            if existing:
                lst = existing[0]
                if (
                    protocol != lst.protocol.upper()
                    or int(instance_port) != int(lst.instance_port)
                    or ssl_certificate_id != lst.ssl_certificate_id
                    or instance_protocol != lst.instance_protocol.upper()
                ):
                    raise DuplicateListenerError(name, lb_port)
                continue
            if ssl_certificate_id and ":iam:" not in ssl_certificate_id:
                elb_models.register_certificate(
                    self.account_id, self.region_name, ssl_certificate_id, balancer.dns_name
                )
            listener = FakeListener(lb_port, instance_port, protocol, ssl_certificate_id)
            _set_instance_protocol(listener, port)
            balancer.listeners.append(listener)
        return balancer

    ELBBackend.create_load_balancer_listeners = create_load_balancer_listeners  # type: ignore[method-assign]

    # --- Patch 3: DeleteLoadBalancerListeners with several ports --------------------------
    # moto rebuilds the listener list once per requested port and concatenates the results, so
    # deleting ports 80 and 443 from [80, 443, 8080] leaves [443, 8080, 80, 8080]. AWS deletes
    # exactly the listed ports
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DeleteLoadBalancerListeners.html).
    def delete_load_balancer_listeners(self: Any, name: str, ports: list[Any]) -> Any:
        balancer = self.get_load_balancer(name)
        doomed = {int(p) for p in ports}
        balancer.listeners = [
            lst for lst in balancer.listeners if int(lst.load_balancer_port) not in doomed
        ]
        return balancer

    ELBBackend.delete_load_balancer_listeners = delete_load_balancer_listeners  # type: ignore[method-assign]

    # --- Patch 4: CreateLoadBalancerPolicy errors ------------------------------------------
    # moto silently ignores a second policy with the same name and accepts any type name.
    # AWS answers DuplicatePolicyName and PolicyTypeNotFound
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_CreateLoadBalancerPolicy.html).
    def create_load_balancer_policy(
        self: Any,
        load_balancer_name: str,
        policy_name: str,
        policy_type_name: str,
        policy_attrs: list[dict[str, str]],
    ) -> Any:
        lb = self.get_load_balancer(load_balancer_name)
        if policy_type_name not in POLICY_TYPES:
            raise PolicyTypeNotFoundError(policy_type_name)
        if policy_name in [p.policy_name for p in lb.policies]:
            raise DuplicatePolicyNameError(policy_name, load_balancer_name)
        lb.policies.append(OtherPolicy(policy_name, policy_type_name, policy_attrs))
        return lb

    ELBBackend.create_load_balancer_policy = create_load_balancer_policy  # type: ignore[method-assign]

    # --- Patch 5: DescribeLoadBalancerPolicies without a load balancer name ----------------
    # moto looks up a load balancer named None and answers LoadBalancerNotFound. AWS: "If you
    # don't specify a load balancer name, the action returns descriptions of the specified
    # sample policies, or descriptions of all sample policies"
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DescribeLoadBalancerPolicies.html);
    # the predefined ELBSecurityPolicy-* policies are described the same way
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-security-policy-table.html).
    def _predefined_policies() -> list[Any]:
        out = []
        for name, versions in PREDEFINED_SECURITY_POLICIES.items():
            attrs = [
                {"AttributeName": f"Protocol-{v}", "AttributeValue": "true" if v in versions else "false"}
                for v in ("TLSv1", "TLSv1.1", "TLSv1.2")
            ]
            attrs.append({"AttributeName": "Server-Defined-Cipher-Order", "AttributeValue": "true"})
            out.append(OtherPolicy(name, "SSLNegotiationPolicyType", attrs))
        return out

    original_describe_policies = ELBBackend.describe_load_balancer_policies

    # --- Patch 18: cookie stickiness policies' type names -----------------------------------
    # moto describes a policy made with CreateLBCookieStickinessPolicy / CreateAppCookieStickinessPolicy with the type
    # "LbCookieStickinessPolicy" / "AppCookieStickinessPolicy" and no attributes. AWS's types are
    # LBCookieStickinessPolicyType (attribute CookieExpirationPeriod) and AppCookieStickinessPolicyType (CookieName)
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DescribeLoadBalancerPolicyTypes.html,
    # `aws elb describe-load-balancer-policy-types`). Only the description changes: DescribeLoadBalancers still lists
    # them under LBCookieStickinessPolicies / AppCookieStickinessPolicies.
    def _as_described(policy: Any) -> Any:
        if policy.policy_type_name == "LbCookieStickinessPolicy":
            period = getattr(policy, "cookie_expiration_period", None)
            attrs = [{"AttributeName": "CookieExpirationPeriod", "AttributeValue": str(period or 0)}]
            return OtherPolicy(policy.policy_name, "LBCookieStickinessPolicyType", attrs)
        if policy.policy_type_name == "AppCookieStickinessPolicy":
            attrs = [{"AttributeName": "CookieName", "AttributeValue": str(getattr(policy, "cookie_name", ""))}]
            return OtherPolicy(policy.policy_name, "AppCookieStickinessPolicyType", attrs)
        return policy

    def describe_load_balancer_policies(self: Any, lb_name: str | None, policy_names: list[str]) -> Any:
        if lb_name:
            lb = self.get_load_balancer(lb_name)
            if policy_names:
                missing = [n for n in policy_names if n not in [p.policy_name for p in lb.policies]]
                if missing:
                    raise PolicyNotFoundError(missing, lb_name)
            return [_as_described(p) for p in original_describe_policies(self, lb_name, policy_names)]
        predefined = _predefined_policies()
        if not policy_names:
            return predefined
        known = {p.policy_name: p for p in predefined}
        missing = [n for n in policy_names if n not in known]
        if missing:
            raise PolicyNotFoundError(missing, None)
        return [known[n] for n in policy_names]

    ELBBackend.describe_load_balancer_policies = describe_load_balancer_policies  # type: ignore[method-assign]

    def _check_policies(lb: Any, names: list[str]) -> None:
        missing = [n for n in names if n not in [p.policy_name for p in lb.policies]]
        if missing:
            raise PolicyNotFoundError(missing, lb.name)

    # --- Patch 6: SetLoadBalancerPoliciesOfListener errors ---------------------------------
    # moto answers 200 and changes nothing for a port without a listener, and accepts policy
    # names that do not exist. AWS answers ListenerNotFound and PolicyNotFound
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_SetLoadBalancerPoliciesOfListener.html).
    def set_policies_of_listener(self: Any) -> Any:
        name = self._get_param("LoadBalancerName")
        port = int(self._get_param("LoadBalancerPort"))
        policies = self._get_param("PolicyNames", []) or []
        lb = self.elb_backend.get_load_balancer(name)
        if not [lst for lst in lb.listeners if int(lst.load_balancer_port) == port]:
            raise ListenerNotFoundError(name, port)
        _check_policies(lb, policies)
        self.elb_backend.set_load_balancer_policies_of_listener(name, port, policies)
        return elb_responses.EmptyResult()

    elb_responses.ELBResponse.set_load_balancer_policies_of_listener = set_policies_of_listener  # type: ignore[method-assign]

    # --- Patch 7: SetLoadBalancerPoliciesForBackendServer ----------------------------------
    # moto only knows instance ports given at CreateLoadBalancer time: for a port added later
    # with CreateLoadBalancerListeners it answers 200 and stores nothing. It also accepts
    # unknown policy names. AWS replaces "the set of policies associated with the specified
    # port on which the EC2 instance is listening" and answers PolicyNotFound for unknown
    # names; ListenerNotFound is not among its errors, so no listener check applies
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_SetLoadBalancerPoliciesForBackendServer.html).
    def set_policies_for_backend(self: Any) -> Any:
        name = self._get_param("LoadBalancerName")
        instance_port = self._get_int_param("InstancePort")
        policies = self._get_param("PolicyNames", []) or []
        lb = self.elb_backend.get_load_balancer(name)
        _check_policies(lb, policies)
        backends = [b for b in lb.backends if int(b.instance_port) == instance_port]
        if backends:
            backends[0].policy_names = list(policies)
        else:
            backend = FakeBackend(instance_port=instance_port)
            backend.policy_names = list(policies)
            lb.backends.append(backend)
        return elb_responses.EmptyResult()

    elb_responses.ELBResponse.set_load_balancer_policies_for_backend_server = set_policies_for_backend  # type: ignore[method-assign]

    # --- Patch 8: SetLoadBalancerListenerSSLCertificate on a port without a listener -------
    # moto answers 200 and changes nothing; AWS answers ListenerNotFound
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_SetLoadBalancerListenerSSLCertificate.html).
    original_set_cert = ELBBackend.set_load_balancer_listener_ssl_certificate

    def set_listener_ssl_certificate(self: Any, name: str, lb_port: Any, ssl_certificate_id: str) -> Any:
        lb = self.get_load_balancer(name)
        matches = [lst for lst in lb.listeners if int(lst.load_balancer_port) == int(lb_port)]
        if not matches:
            raise ListenerNotFoundError(name, lb_port)
        return original_set_cert(self, name, matches[0].load_balancer_port, ssl_certificate_id)

    ELBBackend.set_load_balancer_listener_ssl_certificate = set_listener_ssl_certificate  # type: ignore[method-assign]

    # --- Patch 9: AdditionalAttributes ----------------------------------------------------
    # moto appends another ("elb.http.desyncmitigationmode", "defensive") pair on every
    # ModifyLoadBalancerAttributes call that has no AdditionalAttributes, so the key repeats,
    # and DescribeLoadBalancerAttributes on a new load balancer lists none. AWS: desync
    # mitigation mode "The default is defensive"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-desync-mitigation-mode.html);
    # attributes are key/value pairs, one value per key.
    original_defaults = LoadBalancer.get_default_attributes.__func__  # type: ignore[attr-defined]

    def get_default_attributes(cls: Any) -> dict[str, Any]:
        attributes = original_defaults(cls)
        attributes["additional_attributes"] = [("elb.http.desyncmitigationmode", "defensive")]
        return attributes

    LoadBalancer.get_default_attributes = classmethod(get_default_attributes)  # type: ignore[method-assign,assignment]

    original_modify = ELBBackend.modify_load_balancer_attributes

    def modify_load_balancer_attributes(self: Any, load_balancer_name: str, **kwargs: Any) -> None:
        lb = self.get_load_balancer(load_balancer_name)
        before = list(lb.attributes.get("additional_attributes") or [])
        original_modify(self, load_balancer_name, **kwargs)
        merged: dict[str, str] = dict(before)
        if kwargs.get("additional_attributes"):
            for attr in kwargs["additional_attributes"]:
                merged[attr["Key"]] = attr["Value"]
        merged.setdefault("elb.http.desyncmitigationmode", "defensive")
        lb.attributes["additional_attributes"] = list(merged.items())

    ELBBackend.modify_load_balancer_attributes = modify_load_balancer_attributes  # type: ignore[method-assign]

    # --- Patch 10: ACM ListCertificates default key types ----------------------------------
    # moto lists every certificate when Includes.keyTypes is absent. AWS: "Default filtering
    # returns only RSA_1024 and RSA_2048 certificates that have at least one domain. To return
    # other certificate types, provide the desired type signatures"
    # (https://docs.aws.amazon.com/acm/latest/APIReference/API_Filters.html).
    original_list_certs = acm_models.AWSCertificateManagerBackend.list_certificates

    def list_certificates(self: Any, statuses: list[str], includes: dict[str, Any]) -> Any:
        includes = dict(includes or {})
        if not includes.get("keyTypes"):
            includes["keyTypes"] = ["RSA_1024", "RSA_2048"]
        return original_list_certs(self, statuses, includes)

    acm_models.AWSCertificateManagerBackend.list_certificates = list_certificates  # type: ignore[method-assign]

    # --- Patch 11: ACM ListCertificates summary field names ---------------------------------
    # moto copies DescribeCertificate's "SubjectAlternativeNames" into each summary; the API's
    # CertificateSummary calls the field "SubjectAlternativeNameSummaries" (with
    # "HasAdditionalSubjectAlternativeNames"), so SDKs saw no alternative names at all
    # (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateSummary.html).
    from moto.acm import responses as acm_responses

    original_list_response = acm_responses.AWSCertificateManagerResponse.list_certificates

    def list_certificates_response(self: Any) -> str:
        body = json.loads(original_list_response(self))
        for summary in body.get("CertificateSummaryList", []):
            sans = summary.pop("SubjectAlternativeNames", None)
            if sans is not None:
                summary["SubjectAlternativeNameSummaries"] = sans[:100]
                summary["HasAdditionalSubjectAlternativeNames"] = len(sans) > 100
        return json.dumps(body)

    acm_responses.AWSCertificateManagerResponse.list_certificates = list_certificates_response  # type: ignore[method-assign]


def apply_elbv2_patches() -> None:
    """ELBv2 (ALB/NLB) gaps, each checked against the ELBv2 API reference and tested in moto-elbv2.test.ts."""
    from moto.elbv2.exceptions import ELBClientError as RESTError
    from moto.elbv2 import responses as elbv2_responses
    from moto.elbv2.ssl_policies import SSL_POLICIES

    Responses = elbv2_responses.ELBV2Response

    # --- Patch 12: CreateListener accepted any SslPolicy name ------------------------------
    # ModifyListener already answers SSLPolicyNotFound; CreateListener lists the same error
    # ("The specified SSL policy does not exist",
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html).
    # --- Patch 13: a plain HTTP/TCP listener reported SslPolicy ELBSecurityPolicy-2016-08 ----
    # Listener.SslPolicy is "[HTTPS or TLS listener] The security policy that defines which
    # protocols and ciphers are supported" and the default policy applies to secure listeners only
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html).
    original_create_listener = Responses.create_listener

    def create_listener(self: Any) -> Any:
        policy = self._get_param("SslPolicy")
        protocol = (self._get_param("Protocol") or "").upper()
        if policy is not None and policy not in SSL_POLICIES:
            raise RESTError("SSLPolicyNotFound", f"Policy {policy} not found")
        result = original_create_listener(self)
        if protocol not in ("HTTPS", "TLS") and policy is None:
            for listener in self.elbv2_backend.describe_listeners(self._get_param("LoadBalancerArn"), []):
                if str(listener.port) == str(self._get_param("Port")):
                    listener.ssl_policy = None
        return result

    Responses.create_listener = create_listener  # type: ignore[method-assign]

    # --- Patch 14: DescribeSSLPolicies with an unknown name answered an empty list ----------
    # The API lists SSLPolicyNotFound for it
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeSSLPolicies.html).
    original_describe_ssl = Responses.describe_ssl_policies

    def describe_ssl_policies(self: Any) -> Any:
        for name in self._get_param("Names", []) or []:
            if name not in SSL_POLICIES:
                raise RESTError("SSLPolicyNotFound", f"Policy {name} not found")
        return original_describe_ssl(self)

    Responses.describe_ssl_policies = describe_ssl_policies  # type: ignore[method-assign]

    # --- Patch 15: a Network Load Balancer's ARN said loadbalancer/app/ -----------------------
    # NLB ARNs are arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net/NAME/ID
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html);
    # moto built every ARN with app/, so nothing could tell an NLB from an ALB by its ARN.
    from moto.elbv2 import models as elbv2_models

    original_create_lb = elbv2_models.ELBv2Backend.create_load_balancer

    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        lb = original_create_lb(self, *args, **kwargs)
        if (kwargs.get("loadbalancer_type") or "") == "network" and ":loadbalancer/app/" in lb.arn:
            old = lb.arn
            lb.arn = old.replace(":loadbalancer/app/", ":loadbalancer/net/")
            self.load_balancers[lb.arn] = self.load_balancers.pop(old)
            tags = self.tagging_service.list_tags_for_resource(old).get("Tags", [])
            self.tagging_service.delete_all_tags_for_resource(old)
            self.tagging_service.tag_resource(lb.arn, tags)
        return lb

    elbv2_models.ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]


def apply_dns_patches() -> None:
    """Patch 16: ACM DNS validation follows what Route 53 holds.

    moto issues every requested certificate a fixed time (MOTO_ACM_VALIDATION_WAIT, 60 s) after the
    request, whatever DNS holds, and gives every certificate and domain the same validation CNAME. AWS:
    "When you choose DNS validation, ACM provides you with one or more CNAME records that must be added
    to this database... Each record, created specifically for your domain and your account, contains a
    name and a value" and the certificate stays PENDING_VALIDATION until they resolve
    (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). A wildcard and its base name
    share one record (the record name follows the name without "*.", as moto already does).
    Here the record is derived from (account, base name), and a pending AMAZON_ISSUED certificate becomes
    ISSUED only once every record is in a public hosted zone of moto's Route 53 with the right value.
    """
    import hashlib

    from moto.acm import models as acm_models
    from moto.route53.models import route53_backends

    CertBundle = acm_models.CertBundle

    def _account(arn: str) -> str:
        return arn.split(":")[4]

    def validation_record(account: str, domain: str) -> dict[str, str]:
        base = (domain[2:] if domain.startswith("*.") else domain).rstrip(".").lower()
        token = hashlib.sha256(f"{account}:{base}".encode()).hexdigest()
        return {
            "Name": f"_{token[:32]}.{base}.",
            "Type": "CNAME",
            "Value": f"_{token[32:64]}.{token[:10]}.acm-validations.aws.",
        }

    def _norm(name: str) -> str:
        return name.rstrip(".").lower()

    def record_present(account: str, record: dict[str, str]) -> bool:
        name, value = _norm(record["Name"]), _norm(record["Value"])
        for backend in route53_backends[account].values():
            for zone in backend.zones.values():
                if zone.private_zone:
                    continue
                zone_name = _norm(zone.name)
                if name != zone_name and not name.endswith("." + zone_name):
                    continue
                for rrset in zone.rrsets:
                    if rrset.type == "CNAME" and _norm(rrset.name) == name and any(_norm(v) == value for v in rrset.records):
                        return True
        return False

    def _domains(cert: Any) -> list[str]:
        described = original_describe(cert)["Certificate"]
        return sorted(set(described.get("SubjectAlternativeNames") or []) | {described["DomainName"]})

    def check(self: Any) -> None:
        # moto's own expiry rule, without its timer-based issuing.
        if self._not_valid_after(self._cert) <= acm_models.utcnow():
            self.status = "EXPIRED"
            return
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION":
            account = _account(self.arn)
            if all(record_present(account, validation_record(account, d)) for d in _domains(self)):
                self.status = "ISSUED"

    CertBundle.check = check  # type: ignore[method-assign]

    original_describe = CertBundle.describe

    def describe(self: Any) -> dict[str, Any]:
        result = original_describe(self)
        account = _account(self.arn)
        for option in result["Certificate"].get("DomainValidationOptions", []):
            option["ResourceRecord"] = validation_record(account, option["DomainName"])
            option["ValidationStatus"] = "SUCCESS" if self.status == "ISSUED" else "PENDING_VALIDATION"
        return result

    CertBundle.describe = describe  # type: ignore[method-assign]

    # --- Patch 17: CLB CanonicalHostedZoneNameID ------------------------------------------------
    # moto's DescribeLoadBalancers (ELB) leaves out CanonicalHostedZoneNameID, which an alias record to a
    # Classic Load Balancer needs: "Specify the value of the hosted zone ID for the load balancer ... the
    # value of CanonicalHostedZoneNameID" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html).
    # The value is the region's, from "Elastic Load Balancing endpoints and quotas"
    # (https://docs.aws.amazon.com/general/latest/gr/elb.html), Application/Classic column.
    from moto.elb import models as elb_models

    elb_zone_ids = {
        "us-east-1": "Z35SXDOTRQ7X7K",
        "us-east-2": "Z3AADJGX6KTTL2",
        "us-west-1": "Z368ELLRRE2KJ0",
        "us-west-2": "Z1H1FL5HABSF5",
        "eu-west-1": "Z32O12XQLNTSW2",
        "eu-central-1": "Z215JYRZR1TBD5",
    }

    def canonical_hosted_zone_name_id(self: Any) -> str:
        region = self.dns_name.split(".")[-4] if self.dns_name.count(".") >= 4 else "us-east-1"
        return elb_zone_ids.get(region, elb_zone_ids["us-east-1"])

    elb_models.LoadBalancer.canonical_hosted_zone_name_id = property(canonical_hosted_zone_name_id)  # type: ignore[attr-defined]


def apply_ec2_patches() -> None:
    """Patch 19: RevokeSecurityGroupIngress of a rule a default-VPC group does not have.

    "For a default VPC, if the values you specify do not match the existing rule's values, no
    error is returned, and the output describes the security group rules that were not revoked.
    For a non-default VPC, [...] an InvalidPermission.NotFound client error is returned, and no
    rules are revoked."
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html;
    the output's UnknownIpPermissions: "The inbound rules that were unknown to the service.")
    moto raised InvalidPermission.NotFound in every VPC. In a default VPC this revokes the
    sources that match, one at a time, and lists the others in UnknownIpPermissions; other VPCs
    keep moto's behaviour. The EB fake makes Beanstalk's load balancer group in the default VPC.
    """
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import InvalidPermissionNotFoundError
    from moto.ec2.responses.security_groups import SecurityGroups

    original = SecurityGroups.revoke_security_group_ingress

    def _in_default_vpc(backend: Any, group_name_or_id: str) -> bool:
        group = backend.get_security_group_by_name_or_id(group_name_or_id)
        vpc = backend.vpcs.get(group.vpc_id) if group is not None and group.vpc_id else None
        return bool(vpc is not None and vpc.is_default)

    def _permission(args: dict[str, Any], key: str, source: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"IpProtocol": args["ip_protocol"]}
        if args["from_port"] is not None:
            out["FromPort"] = int(args["from_port"])
        if args["to_port"] is not None:
            out["ToPort"] = int(args["to_port"])
        if key == "ip_ranges":
            out["Ipv6Ranges" if "CidrIpv6" in source else "IpRanges"] = [source]
        elif key == "source_groups":
            out["UserIdGroupPairs"] = [source]
        else:
            out["PrefixListIds"] = [source]
        return out

    def revoke_security_group_ingress(self: Any) -> Any:
        rules = list(self._process_rules_from_querystring())
        if not rules or any(r["security_rule_ids"] for r in rules):
            return original(self)
        if not _in_default_vpc(self.ec2_backend, rules[0]["group_name_or_id"]):
            return original(self)
        self.error_on_dryrun()
        unknown: list[dict[str, Any]] = []
        for args in rules:
            del args["sgrule_tags"]
            for key in ("ip_ranges", "source_groups", "prefix_list_ids"):
                for source in args[key] or []:
                    one = {**args, "ip_ranges": [], "source_groups": [], "prefix_list_ids": [], key: [source]}
                    try:
                        self.ec2_backend.revoke_security_group_ingress(**one)
                    except InvalidPermissionNotFoundError:
                        unknown.append(_permission(args, key, source))
        result: dict[str, Any] = {"Return": True}
        if unknown:
            result["UnknownIpPermissions"] = unknown
        return ActionResult(result)

    SecurityGroups.revoke_security_group_ingress = revoke_security_group_ingress  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-patch", action="store_true", help="run moto as shipped")
    args = parser.parse_args()
    if not args.no_patch:
        apply_patches()
        apply_elbv2_patches()
        apply_dns_patches()
        apply_ec2_patches()
    from moto.server import main as moto_main

    print(f"ebws moto launcher: patched={not args.no_patch}", file=sys.stderr, flush=True)
    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
