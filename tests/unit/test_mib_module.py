"""mibs/MIP-MIB.txt against the MIP-MIB fact sheet (shared/spec/mib.md).

Three independent readers check the module: smilint (libsmi), snmptranslate (net-snmp) and
the project's own pysmi-compiled `Schema`. The expected names, OIDs, kinds, access, status,
indexes and counts below are copied from the fact sheet (sections 1.4-1.7 and 2.4-2.6), not
derived from the module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

import mipmib.mib.compile as compile_module
from mipmib.mib.compile import MibCompileError, compile_mib, default_mib_dir
from mipmib.mib.schema import MibObject, Schema

REPO = Path(__file__).resolve().parents[2]
MIB_DIR = REPO / "mibs"
MIB_FILE = MIB_DIR / "MIP-MIB.txt"
IETF_DIR = MIB_DIR / "ietf"
FETCH_SCRIPT = REPO / "scripts" / "fetch-ietf-mibs.sh"
IETF_MODULES = ("SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF", "SNMPv2-MIB", "IF-MIB", "IANAifType-MIB")
MIP = (1, 3, 6, 1, 2, 1, 44)

# Every OBJECT-TYPE of the revised module (mip4-02), RFC 2006 ones included: name, OID below
# mipMIB (1.3.6.1.2.1.44), kind, MAX-ACCESS (NA not-accessible, AFN accessible-for-notify,
# RO read-only, RW read-write, RC read-create), STATUS (cur/dep), origin (2006 = RFC 2006,
# rev = added by the revision).
FACTS = """
    mipEntities                         .1.1.1          scalar  RO   cur 2006
    mipEnable                           .1.1.2          scalar  RW   cur 2006
    mipEncapsulationSupported           .1.1.3          scalar  RO   cur 2006
    mipSecAssocTable                    .1.2.1          table   NA   dep 2006
    mipSecAssocEntry                    .1.2.1.1        row     NA   dep 2006
    mipSecPeerAddress                   .1.2.1.1.1      column  NA   dep 2006
    mipSecSPI                           .1.2.1.1.2      column  NA   dep 2006
    mipSecAlgorithmType                 .1.2.1.1.3      column  RC   dep 2006
    mipSecAlgorithmMode                 .1.2.1.1.4      column  RC   dep 2006
    mipSecKey                           .1.2.1.1.5      column  RC   dep 2006
    mipSecReplayMethod                  .1.2.1.1.6      column  RC   dep 2006
    mipSecTotalViolations               .1.2.2          scalar  RO   cur 2006
    mipSecViolationTable                .1.2.3          table   NA   dep 2006
    mipSecViolationEntry                .1.2.3.1        row     NA   dep 2006
    mipSecViolatorAddress               .1.2.3.1.1      column  AFN  dep 2006
    mipSecViolationCounter              .1.2.3.1.2      column  RO   dep 2006
    mipSecRecentViolationSPI            .1.2.3.1.3      column  RO   dep 2006
    mipSecRecentViolationTime           .1.2.3.1.4      column  RO   dep 2006
    mipSecRecentViolationIDLow          .1.2.3.1.5      column  RO   dep 2006
    mipSecRecentViolationIDHigh         .1.2.3.1.6      column  RO   dep 2006
    mipSecRecentViolationReason         .1.2.3.1.7      column  RO   dep 2006
    mipSecurityAssocsCount              .1.2.4          scalar  RO   cur rev
    mipSecurityAssocTable               .1.2.5          table   NA   cur rev
    mipSecurityAssocEntry               .1.2.5.1        row     NA   cur rev
    mipSecurityPeerIdType               .1.2.5.1.1      column  NA   cur rev
    mipSecurityPeerId                   .1.2.5.1.2      column  NA   cur rev
    mipSecuritySPI                      .1.2.5.1.3      column  NA   cur rev
    mipSecurityAlgorithmType            .1.2.5.1.4      column  RC   cur rev
    mipSecurityAlgorithmMode            .1.2.5.1.5      column  RC   cur rev
    mipSecurityKey                      .1.2.5.1.6      column  RC   cur rev
    mipSecurityReplayMethod             .1.2.5.1.7      column  RC   cur rev
    mipSecurityReplayTime               .1.2.5.1.8      column  RC   cur rev
    mipSecurityPeerNAI                  .1.2.5.1.9      column  RC   cur rev
    mipSecurityPeerIpAddress            .1.2.5.1.10     column  RC   cur rev
    mipSecurityStatus                   .1.2.5.1.11     column  RC   cur rev
    mipSecurityStorageType              .1.2.5.1.12     column  RC   cur rev
    mipSecurityViolationTable           .1.2.6          table   NA   cur rev
    mipSecurityViolationEntry           .1.2.6.1        row     NA   cur rev
    mipSecurityViolatorIdType           .1.2.6.1.1      column  NA   cur rev
    mipSecurityViolatorId               .1.2.6.1.2      column  NA   cur rev
    mipSecurityViolationCounter         .1.2.6.1.3      column  RO   cur rev
    mipSecurityRecentViolationSPI       .1.2.6.1.4      column  RO   cur rev
    mipSecurityRecentViolationTime      .1.2.6.1.5      column  RO   cur rev
    mipSecurityRecentViolationIDLow     .1.2.6.1.6      column  RO   cur rev
    mipSecurityRecentViolationIDHigh    .1.2.6.1.7      column  RO   cur rev
    mipSecurityRecentViolationReason    .1.2.6.1.8      column  RO   cur rev
    mipSecurityViolatorNAI              .1.2.6.1.9      column  RO   cur rev
    mipSecurityViolatorIpAddress        .1.2.6.1.10     column  RO   cur rev
    mipSecurityRecentViolationErrCode   .1.2.6.1.11     column  RO   cur rev
    mipSecurityviolationStorageType     .1.2.6.1.12     column  RC   cur rev
    mnState                             .1.3.1.1        scalar  RO   cur 2006
    mnHomeAddress                       .1.3.1.2        scalar  RO   cur 2006
    mnHATable                           .1.3.1.3        table   NA   cur 2006
    mnHAEntry                           .1.3.1.3.1      row     NA   cur 2006
    mnHAAddress                         .1.3.1.3.1.1    column  NA   cur 2006
    mnCurrentHA                         .1.3.1.3.1.2    column  RO   cur 2006
    mnHAStatus                          .1.3.1.3.1.3    column  RC   cur 2006
    mnIdentifierType                    .1.3.1.4        scalar  RO   cur rev
    mnIdentifier                        .1.3.1.5        scalar  RO   cur rev
    mnFATable                           .1.3.2.1        table   NA   cur 2006
    mnFAEntry                           .1.3.2.1.1      row     NA   cur 2006
    mnFAAddress                         .1.3.2.1.1.1    column  RO   cur 2006
    mnCOA                               .1.3.2.1.1.2    column  RO   cur 2006
    mnAdvSourceAddress                  .1.3.2.2.1      scalar  RO   cur 2006
    mnAdvSequence                       .1.3.2.2.2      scalar  RO   cur 2006
    mnAdvFlags                          .1.3.2.2.3      scalar  RO   cur 2006
    mnAdvMaxRegLifetime                 .1.3.2.2.4      scalar  RO   cur 2006
    mnAdvMaxAdvLifetime                 .1.3.2.2.5      scalar  RO   cur 2006
    mnAdvTimeReceived                   .1.3.2.2.6      scalar  RO   cur 2006
    mnSolicitationsSent                 .1.3.2.3        scalar  RO   cur 2006
    mnAdvertisementsReceived            .1.3.2.4        scalar  RO   cur 2006
    mnAdvsDroppedInvalidExtension       .1.3.2.5        scalar  RO   cur 2006
    mnAdvsIgnoredUnknownExtension       .1.3.2.6        scalar  RO   cur 2006
    mnMoveFromHAToFA                    .1.3.2.7        scalar  RO   cur 2006
    mnMoveFromFAToFA                    .1.3.2.8        scalar  RO   cur 2006
    mnMoveFromFAToHA                    .1.3.2.9        scalar  RO   cur 2006
    mnGratuitousARPsSend                .1.3.2.10       scalar  RO   cur 2006
    mnAgentRebootsDectected             .1.3.2.11       scalar  RO   cur 2006
    mnRegistrationTable                 .1.3.3.1        table   NA   cur 2006
    mnRegistrationEntry                 .1.3.3.1.1      row     NA   cur 2006
    mnRegAgentAddress                   .1.3.3.1.1.1    column  RO   cur 2006
    mnRegCOA                            .1.3.3.1.1.2    column  RO   cur 2006
    mnRegFlags                          .1.3.3.1.1.3    column  RO   cur 2006
    mnRegIDLow                          .1.3.3.1.1.4    column  RO   cur 2006
    mnRegIDHigh                         .1.3.3.1.1.5    column  RO   cur 2006
    mnRegTimeRequested                  .1.3.3.1.1.6    column  RO   cur 2006
    mnRegTimeRemaining                  .1.3.3.1.1.7    column  RO   cur 2006
    mnRegTimeSent                       .1.3.3.1.1.8    column  RO   cur 2006
    mnRegIsAccepted                     .1.3.3.1.1.9    column  RO   cur 2006
    mnCOAIsLocal                        .1.3.3.1.1.10   column  RO   cur 2006
    mnRegDeliveryStyle                  .1.3.3.1.1.11   column  RO   cur rev
    mnRegRequestsSent                   .1.3.3.2        scalar  RO   cur 2006
    mnDeRegRequestsSent                 .1.3.3.3        scalar  RO   cur 2006
    mnRegRepliesRecieved                .1.3.3.4        scalar  RO   cur 2006
    mnDeRegRepliesRecieved              .1.3.3.5        scalar  RO   cur 2006
    mnRepliesInvalidHomeAddress         .1.3.3.6        scalar  RO   cur 2006
    mnRepliesUnknownHA                  .1.3.3.7        scalar  RO   cur 2006
    mnRepliesUnknownFA                  .1.3.3.8        scalar  RO   cur 2006
    mnRepliesInvalidID                  .1.3.3.9        scalar  RO   cur 2006
    mnRepliesDroppedInvalidExtension    .1.3.3.10       scalar  RO   cur 2006
    mnRepliesIgnoredUnknownExtension    .1.3.3.11       scalar  RO   cur 2006
    mnRepliesHAAuthenticationFailure    .1.3.3.12       scalar  RO   cur 2006
    mnRepliesFAAuthenticationFailure    .1.3.3.13       scalar  RO   cur 2006
    mnRegRequestsAccepted               .1.3.3.14       scalar  RO   cur 2006
    mnRegRequestsDeniedByHA             .1.3.3.15       scalar  RO   cur 2006
    mnRegRequestsDeniedByFA             .1.3.3.16       scalar  RO   cur 2006
    mnRegRequestsDeniedByHADueToID      .1.3.3.17       scalar  RO   cur 2006
    mnRegRequestsWithDirectedBroadcast  .1.3.3.18       scalar  RO   cur 2006
    maAdvConfigTable                    .1.4.2.1        table   NA   dep 2006
    maAdvConfigEntry                    .1.4.2.1.1      row     NA   dep 2006
    maInterfaceAddress                  .1.4.2.1.1.1    column  NA   dep 2006
    maAdvMaxRegLifetime                 .1.4.2.1.1.2    column  RC   dep 2006
    maAdvPrefixLengthInclusion          .1.4.2.1.1.3    column  RC   dep 2006
    maAdvAddress                        .1.4.2.1.1.4    column  RC   dep 2006
    maAdvMaxInterval                    .1.4.2.1.1.5    column  RC   dep 2006
    maAdvMinInterval                    .1.4.2.1.1.6    column  RC   dep 2006
    maAdvMaxAdvLifetime                 .1.4.2.1.1.7    column  RC   dep 2006
    maAdvResponseSolicitationOnly       .1.4.2.1.1.8    column  RC   dep 2006
    maAdvStatus                         .1.4.2.1.1.9    column  RC   dep 2006
    maAdvertisementsSent                .1.4.2.2        scalar  RO   cur 2006
    maAdvsSentForSolicitation           .1.4.2.3        scalar  RO   cur 2006
    maSolicitationsReceived             .1.4.2.4        scalar  RO   cur 2006
    maAdvertConfTable                   .1.4.2.5        table   NA   cur rev
    maAdvertConfEntry                   .1.4.2.5.1      row     NA   cur rev
    maAdvertIfIndex                     .1.4.2.5.1.1    column  NA   cur rev
    maAdvertMaxRegLifetime              .1.4.2.5.1.2    column  RC   cur rev
    maAdvertPrefixLengthInclusion       .1.4.2.5.1.3    column  RC   cur rev
    maAdvertAddress                     .1.4.2.5.1.4    column  RC   cur rev
    maAdvertMaxInterval                 .1.4.2.5.1.5    column  RC   cur rev
    maAdvertMinInterval                 .1.4.2.5.1.6    column  RC   cur rev
    maAdvertMaxAdvLifetime              .1.4.2.5.1.7    column  RC   cur rev
    maAdvertResponseSolicitationOnly    .1.4.2.5.1.8    column  RC   cur rev
    maAdvertService                     .1.4.2.5.1.9    column  RC   cur rev
    maAdvertNetworkNAI                  .1.4.2.5.1.10   column  RC   cur rev
    maAdvertStatus                      .1.4.2.5.1.11   column  RC   cur rev
    maAdvertStorageType                 .1.4.2.5.1.12   column  RC   cur rev
    faCOATable                          .1.5.1.1        table   NA   cur 2006
    faCOAEntry                          .1.5.1.1.1      row     NA   cur 2006
    faSupportedCOA                      .1.5.1.1.1.1    column  NA   cur 2006
    faCOAStatus                         .1.5.1.1.1.2    column  RC   cur 2006
    faCOAStorageType                    .1.5.1.1.1.3    column  RC   cur rev
    faIsBusy                            .1.5.2.1        scalar  RO   dep 2006
    faRegistrationRequired              .1.5.2.2        scalar  RW   dep 2006
    faAdvertConfTable                   .1.5.2.3        table   NA   cur rev
    faAdvertConfEntry                   .1.5.2.3.1      row     NA   cur rev
    faAdvertIsBusy                      .1.5.2.3.1.1    column  RO   cur rev
    faAdvertRegRequired                 .1.5.2.3.1.2    column  RW   cur rev
    faAdvertChallengeWindow             .1.5.2.3.1.3    column  RW   cur rev
    faVisitorTable                      .1.5.3.1        table   NA   dep 2006
    faVisitorEntry                      .1.5.3.1.1      row     NA   dep 2006
    faVisitorIPAddress                  .1.5.3.1.1.1    column  RO   dep 2006
    faVisitorHomeAddress                .1.5.3.1.1.2    column  RO   dep 2006
    faVisitorHomeAgentAddress           .1.5.3.1.1.3    column  RO   dep 2006
    faVisitorTimeGranted                .1.5.3.1.1.4    column  RO   dep 2006
    faVisitorTimeRemaining              .1.5.3.1.1.5    column  RO   dep 2006
    faVisitorRegFlags                   .1.5.3.1.1.6    column  RO   dep 2006
    faVisitorRegIDLow                   .1.5.3.1.1.7    column  RO   dep 2006
    faVisitorRegIDHigh                  .1.5.3.1.1.8    column  RO   dep 2006
    faVisitorRegIsAccepted              .1.5.3.1.1.9    column  RO   dep 2006
    faRegRequestsReceived               .1.5.3.2        scalar  RO   cur 2006
    faRegRequestsRelayed                .1.5.3.3        scalar  RO   cur 2006
    faReasonUnspecified                 .1.5.3.4        scalar  RO   cur 2006
    faAdmProhibited                     .1.5.3.5        scalar  RO   cur 2006
    faInsufficientResource              .1.5.3.6        scalar  RO   cur 2006
    faMNAuthenticationFailure           .1.5.3.7        scalar  RO   cur 2006
    faRegLifetimeTooLong                .1.5.3.8        scalar  RO   cur 2006
    faPoorlyFormedRequests              .1.5.3.9        scalar  RO   cur 2006
    faEncapsulationUnavailable          .1.5.3.10       scalar  RO   cur 2006
    faVJCompressionUnavailable          .1.5.3.11       scalar  RO   dep 2006
    faHAUnreachable                     .1.5.3.12       scalar  RO   cur 2006
    faRegRepliesRecieved                .1.5.3.13       scalar  RO   cur 2006
    faRegRepliesRelayed                 .1.5.3.14       scalar  RO   cur 2006
    faHAAuthenticationFailure           .1.5.3.15       scalar  RO   cur 2006
    faPoorlyFormedReplies               .1.5.3.16       scalar  RO   cur 2006
    faReverseTunnelUnavailable          .1.5.3.17       scalar  RO   cur rev
    faReverseTunnelBitNotSet            .1.5.3.18       scalar  RO   cur rev
    faMnTooDistant                      .1.5.3.19       scalar  RO   cur rev
    faDeliveryStyleUnsupported          .1.5.3.20       scalar  RO   cur rev
    faNonZeroHomeAddressRequired        .1.5.3.21       scalar  RO   cur rev
    faUnknownChallenge                  .1.5.3.22       scalar  RO   cur rev
    faMissingChallenge                  .1.5.3.23       scalar  RO   cur rev
    faStaleChallenge                    .1.5.3.24       scalar  RO   cur rev
    faCvsesFromMnUnsupported            .1.5.3.25       scalar  RO   cur rev
    faCvsesFromHaUnsupported            .1.5.3.26       scalar  RO   cur rev
    faNvsesFromMnIgnored                .1.5.3.27       scalar  RO   cur rev
    faNvsesFromHaIgnored                .1.5.3.28       scalar  RO   cur rev
    faRegVisitorCount                   .1.5.3.29       scalar  RO   cur rev
    faRegVisitorTable                   .1.5.3.30       table   NA   cur rev
    faRegVisitorEntry                   .1.5.3.30.1     row     NA   cur rev
    faRegVisitorIdType                  .1.5.3.30.1.1   column  NA   cur rev
    faRegVisitorId                      .1.5.3.30.1.2   column  NA   cur rev
    faRegVisitorHomeAddress             .1.5.3.30.1.3   column  RO   cur rev
    faRegVisitorHomeAgentAddress        .1.5.3.30.1.4   column  RO   cur rev
    faRegVisitorTimeGranted             .1.5.3.30.1.5   column  RO   cur rev
    faRegVisitorTimeRemaining           .1.5.3.30.1.6   column  RO   cur rev
    faRegVisitorRegFlags                .1.5.3.30.1.7   column  RO   cur rev
    faRegVisitorRegIDLow                .1.5.3.30.1.8   column  RO   cur rev
    faRegVisitorRegIDHigh               .1.5.3.30.1.9   column  RO   cur rev
    faRegVisitorRegIsAccepted           .1.5.3.30.1.10  column  RO   cur rev
    faRegVisitorDeliveryStyle           .1.5.3.30.1.11  column  RO   cur rev
    faRegVisitorNAI                     .1.5.3.30.1.12  column  RO   cur rev
    faRegVisitorInPkts                  .1.5.3.30.1.13  column  RO   cur rev
    faRegVisitorInOctets                .1.5.3.30.1.14  column  RO   cur rev
    faRegVisitorOutPkts                 .1.5.3.30.1.15  column  RO   cur rev
    faRegVisitorOutOctets               .1.5.3.30.1.16  column  RO   cur rev
    haMobilityBindingTable              .1.6.3.1        table   NA   cur 2006
    haMobilityBindingEntry              .1.6.3.1.1      row     NA   cur 2006
    haMobilityBindingMN                 .1.6.3.1.1.1    column  RO   cur 2006
    haMobilityBindingCOA                .1.6.3.1.1.2    column  RO   cur 2006
    haMobilityBindingSourceAddress      .1.6.3.1.1.3    column  RO   cur 2006
    haMobilityBindingRegFlags           .1.6.3.1.1.4    column  RO   cur 2006
    haMobilityBindingRegIDLow           .1.6.3.1.1.5    column  RO   cur 2006
    haMobilityBindingRegIDHigh          .1.6.3.1.1.6    column  RO   cur 2006
    haMobilityBindingTimeGranted        .1.6.3.1.1.7    column  RO   cur 2006
    haMobilityBindingTimeRemaining      .1.6.3.1.1.8    column  RO   cur 2006
    haMobilityBindingMnIdType           .1.6.3.1.1.9    column  RO   cur rev
    haMobilityBindingMnId               .1.6.3.1.1.10   column  RO   cur rev
    haMobilityBindingHA                 .1.6.3.1.1.11   column  RO   cur rev
    haMobilityBindingNAI                .1.6.3.1.1.12   column  RO   cur rev
    haMobilityBindingInPkts             .1.6.3.1.1.13   column  RO   cur rev
    haMobilityBindingInOctets           .1.6.3.1.1.14   column  RO   cur rev
    haMobilityBindingOutPkts            .1.6.3.1.1.15   column  RO   cur rev
    haMobilityBindingOutOctets          .1.6.3.1.1.16   column  RO   cur rev
    haCounterTable                      .1.6.3.2        table   NA   dep 2006
    haCounterEntry                      .1.6.3.2.1      row     NA   dep 2006
    haServiceRequestsAccepted           .1.6.3.2.1.2    column  RO   dep 2006
    haServiceRequestsDenied             .1.6.3.2.1.3    column  RO   dep 2006
    haOverallServiceTime                .1.6.3.2.1.4    column  RO   dep 2006
    haRecentServiceAcceptedTime         .1.6.3.2.1.5    column  RO   dep 2006
    haRecentServiceDeniedTime           .1.6.3.2.1.6    column  RO   dep 2006
    haRecentServiceDeniedCode           .1.6.3.2.1.7    column  RO   dep 2006
    haRegistrationAccepted              .1.6.3.3        scalar  RO   cur 2006
    haMultiBindingUnsupported           .1.6.3.4        scalar  RO   cur 2006
    haReasonUnspecified                 .1.6.3.5        scalar  RO   cur 2006
    haAdmProhibited                     .1.6.3.6        scalar  RO   cur 2006
    haInsufficientResource              .1.6.3.7        scalar  RO   cur 2006
    haMNAuthenticationFailure           .1.6.3.8        scalar  RO   cur 2006
    haFAAuthenticationFailure           .1.6.3.9        scalar  RO   cur 2006
    haIDMismatch                        .1.6.3.10       scalar  RO   cur 2006
    haPoorlyFormedRequest               .1.6.3.11       scalar  RO   cur 2006
    haTooManyBindings                   .1.6.3.12       scalar  RO   cur 2006
    haUnknownHA                         .1.6.3.13       scalar  RO   cur 2006
    haGratuitiousARPsSent               .1.6.3.14       scalar  RO   cur 2006
    haProxyARPsSent                     .1.6.3.15       scalar  RO   cur 2006
    haRegRequestsReceived               .1.6.3.16       scalar  RO   cur 2006
    haDeRegRequestsReceived             .1.6.3.17       scalar  RO   cur 2006
    haRegRepliesSent                    .1.6.3.18       scalar  RO   cur 2006
    haDeRegRepliesSent                  .1.6.3.19       scalar  RO   cur 2006
    haReverseTunnelUnavailable          .1.6.3.20       scalar  RO   cur rev
    haReverseTunnelBitNotSet            .1.6.3.21       scalar  RO   cur rev
    haEncapsulationUnavailable          .1.6.3.22       scalar  RO   cur rev
    haCvsesFromMnUnsupported            .1.6.3.23       scalar  RO   cur rev
    haCvsesFromFaUnsupported            .1.6.3.24       scalar  RO   cur rev
    haNvsesFromMnIgnored                .1.6.3.25       scalar  RO   cur rev
    haNvsesFromFaIgnored                .1.6.3.26       scalar  RO   cur rev
    haRegMobilityBindingCount           .1.6.3.27       scalar  RO   cur rev
    haRegCounterTable                   .1.6.3.28       table   NA   cur rev
    haRegCounterEntry                   .1.6.3.28.1     row     NA   cur rev
    haRegServiceRequestsAccepted        .1.6.3.28.1.1   column  RO   cur rev
    haRegServiceRequestsDenied          .1.6.3.28.1.2   column  RO   cur rev
    haRegOverallServiceTime             .1.6.3.28.1.3   column  RO   cur rev
    haRegRecentServiceAcceptedTime      .1.6.3.28.1.4   column  RO   cur rev
    haRegRecentServiceDeniedTime        .1.6.3.28.1.5   column  RO   cur rev
    haRegRecentServiceDeniedCode        .1.6.3.28.1.6   column  RO   cur rev
"""


class Fact(NamedTuple):
    name: str
    oid: tuple[int, ...]
    kind: str
    access: str
    status: str
    origin: str


_ACCESS = {
    "NA": "not-accessible",
    "AFN": "accessible-for-notify",
    "RO": "read-only",
    "RW": "read-write",
    "RC": "read-create",
}
_STATUS = {"cur": "current", "dep": "deprecated"}


def _facts() -> list[Fact]:
    out = []
    for line in FACTS.strip().splitlines():
        name, rel, kind, access, status, origin = line.split()
        oid = MIP + tuple(int(x) for x in rel.strip(".").split("."))
        out.append(Fact(name, oid, kind, _ACCESS[access], _STATUS[status], origin))
    return out


ALL_FACTS = _facts()

# INDEX clause of every row, borrowed indexes included (fact sheet 1.4 and 2.5).
EXPECTED_INDEX: dict[str, list[str]] = {
    "mipSecAssocEntry": ["mipSecPeerAddress", "mipSecSPI"],
    "mipSecViolationEntry": ["mipSecViolatorAddress"],
    "mipSecurityAssocEntry": ["mipSecurityPeerIdType", "mipSecurityPeerId", "mipSecuritySPI"],
    "mipSecurityViolationEntry": ["mipSecurityViolatorIdType", "mipSecurityViolatorId"],
    "mnHAEntry": ["mnHAAddress"],
    "mnFAEntry": ["mnFAAddress", "mnCOA"],
    "mnRegistrationEntry": ["mnRegAgentAddress", "mnRegCOA"],
    "maAdvConfigEntry": ["maInterfaceAddress"],
    "maAdvertConfEntry": ["maAdvertIfIndex"],
    "faCOAEntry": ["faSupportedCOA"],
    "faAdvertConfEntry": ["maAdvertIfIndex"],
    "faVisitorEntry": ["faVisitorIPAddress"],
    "faRegVisitorEntry": ["faRegVisitorIdType", "faRegVisitorId"],
    "haMobilityBindingEntry": ["haMobilityBindingMN", "haMobilityBindingCOA"],
    "haCounterEntry": ["haMobilityBindingMN"],
    "haRegCounterEntry": ["haMobilityBindingMnIdType", "haMobilityBindingMnId"],
}

# A dozen objects checked with snmptranslate too (full OIDs, as in the fact sheet).
TRANSLATE = {
    "mipMIB": ".1.3.6.1.2.1.44",
    "mipEntities": ".1.3.6.1.2.1.44.1.1.1",
    "mipSecViolatorAddress": ".1.3.6.1.2.1.44.1.2.3.1.1",
    "mipSecurityStatus": ".1.3.6.1.2.1.44.1.2.5.1.11",
    "mipSecurityviolationStorageType": ".1.3.6.1.2.1.44.1.2.6.1.12",
    "mnRegRepliesRecieved": ".1.3.6.1.2.1.44.1.3.3.4",
    "maAdvertIfIndex": ".1.3.6.1.2.1.44.1.4.2.5.1.1",
    "faRegVisitorTable": ".1.3.6.1.2.1.44.1.5.3.30",
    "haMobilityBindingCOA": ".1.3.6.1.2.1.44.1.6.3.1.1.2",
    "haServiceRequestsAccepted": ".1.3.6.1.2.1.44.1.6.3.2.1.2",
    "haGratuitiousARPsSent": ".1.3.6.1.2.1.44.1.6.3.14",
    "haRegMobilityBindingCount": ".1.3.6.1.2.1.44.1.6.3.27",
    "haRegCounterTable": ".1.3.6.1.2.1.44.1.6.3.28",
    "mipAuthFailure": ".1.3.6.1.2.1.44.2.0.1",
    "mipAuthFailure2": ".1.3.6.1.2.1.44.2.0.2",
    "mipSecNotificationsGroup": ".1.3.6.1.2.1.44.3.1.13",
    "mipCompliance2": ".1.3.6.1.2.1.44.3.2.2",
}

# Warnings smilint may give on the module, each explained in mibs/README.md.
DOCUMENTED_WARNINGS = {"index-element-accessible", "type-without-format", "namelength-32-object"}


# ------------------------------------------------------------------------------- fixtures
def _ietf_complete(folder: Path) -> bool:
    return all((folder / f"{m}.txt").is_file() for m in IETF_MODULES)


@pytest.fixture(scope="session")
def ietf_mibs() -> Path:
    """mibs/ietf with the IETF base modules, fetched by the project's script if missing."""
    if not _ietf_complete(IETF_DIR):
        proc = subprocess.run(
            ["bash", str(FETCH_SCRIPT)], capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0 or not _ietf_complete(IETF_DIR):
            pytest.fail(
                "IETF base modules missing and scripts/fetch-ietf-mibs.sh failed:\n"
                + proc.stdout
                + proc.stderr
            )
    return IETF_DIR


@pytest.fixture(scope="session")
def schema(ietf_mibs: Path, tmp_path_factory: pytest.TempPathFactory) -> Schema:
    out = tmp_path_factory.mktemp("compiled")
    return Schema.from_json(compile_mib(MIB_DIR, out))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt packages smitools / snmp)")
    return path


# ------------------------------------------------------------------------------- smilint
_SMILINT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): \[(?P<sev>\d+)\] \{(?P<tag>[\w-]+)\} (?P<msg>.*)$"
)


def _smilint(mib_file: Path, path: str, level: int = 6) -> list[re.Match[str]]:
    """Run smilint and parse its report; it exits 0 even on errors, so the text is judged."""
    proc = subprocess.run(
        [_tool("smilint"), "-l", str(level), "-s", "-m", str(mib_file)],
        capture_output=True,
        text=True,
        env={**os.environ, "SMIPATH": path},
        timeout=120,
    )
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    parsed = [_SMILINT_LINE.match(ln) for ln in lines]
    unparsed = [ln for ln, m in zip(lines, parsed, strict=True) if m is None]
    assert not unparsed, f"smilint printed something unexpected: {unparsed}"
    return [m for m in parsed if m is not None]


def test_smilint_reports_no_error(ietf_mibs: Path) -> None:
    report = _smilint(MIB_FILE, f"{MIB_DIR}:{ietf_mibs}", level=9)
    errors = [m.group(0) for m in report if int(m["sev"]) <= 4]
    assert errors == [], "smilint errors (severity 0-4):\n" + "\n".join(errors)


def test_smilint_warnings_are_documented(ietf_mibs: Path) -> None:
    readme = (MIB_DIR / "README.md").read_text()
    for m in _smilint(MIB_FILE, f"{MIB_DIR}:{ietf_mibs}", level=9):
        assert m["tag"] in DOCUMENTED_WARNINGS, m.group(0)
        for name in re.findall(r"`(\w+)'", m["msg"]):
            assert f"`{name}`" in readme, f"{name} ({m['tag']}) is not explained in mibs/README.md"


def test_smilint_check_catches_errors(ietf_mibs: Path, tmp_path: Path) -> None:
    """The parsing above really sees errors: a copy without the mib-2 import must fail."""
    text = MIB_FILE.read_text()
    broken = text.replace("NOTIFICATION-TYPE, mib-2", "NOTIFICATION-TYPE", 1)
    assert broken != text
    (tmp_path / "MIP-MIB.txt").write_text(broken)
    report = _smilint(tmp_path / "MIP-MIB.txt", f"{tmp_path}:{ietf_mibs}")
    assert any(int(m["sev"]) <= 2 for m in report), [m.group(0) for m in report]


# ------------------------------------------------------------------------------- snmptranslate
def _snmptranslate(ietf: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [_tool("snmptranslate"), "-M", f"+{MIB_DIR}:{ietf}", "-m", "MIP-MIB", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp), "SNMPCONFPATH": str(tmp)},
        timeout=60,
    )
    problems = [
        ln
        for ln in proc.stderr.splitlines()
        if re.search(r"Cannot|Unlinked|Did not find|Expected|Unknown|Bad |error", ln, re.I)
    ]
    assert proc.returncode == 0 and not problems, proc.stderr
    return proc


def test_snmptranslate_names_to_oids(ietf_mibs: Path, tmp_path: Path) -> None:
    proc = _snmptranslate(ietf_mibs, tmp_path, "-IR", "-On", *TRANSLATE)
    got = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    assert dict(zip(TRANSLATE, got, strict=True)) == TRANSLATE


def test_snmptranslate_oids_to_names(ietf_mibs: Path, tmp_path: Path) -> None:
    proc = _snmptranslate(ietf_mibs, tmp_path, *TRANSLATE.values())
    got = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    assert got == [f"MIP-MIB::{name}" for name in TRANSLATE]


@pytest.mark.parametrize(
    "row",
    [
        "haMobilityBindingEntry",
        "haCounterEntry",
        "haRegCounterEntry",
        "faAdvertConfEntry",
        "mipSecurityAssocEntry",
        "mipSecViolationEntry",
    ],
)
def test_snmptranslate_index_clauses(ietf_mibs: Path, tmp_path: Path, row: str) -> None:
    proc = _snmptranslate(ietf_mibs, tmp_path, "-Td", "-IR", row)
    m = re.search(r"INDEX\s*\{\s*([^}]*)\}", proc.stdout)
    assert m, proc.stdout
    assert [x.strip() for x in m.group(1).split(",")] == EXPECTED_INDEX[row]


# ------------------------------------------------------------------------------- schema
def test_every_object_type_matches_the_fact_sheet(schema: Schema) -> None:
    mismatches = []
    for fact in ALL_FACTS:
        obj = schema.object(fact.name)
        got = (obj.oid, obj.kind, obj.access, obj.status, obj.clazz)
        want = (fact.oid, fact.kind, fact.access, fact.status, "objecttype")
        if got != want:
            mismatches.append(f"{fact.name}: {got} != {want}")
    assert mismatches == []


def test_no_object_type_beyond_the_fact_sheet(schema: Schema) -> None:
    names = {o.name for o in schema.objects() if o.clazz == "objecttype"}
    assert names == {f.name for f in ALL_FACTS}


def test_object_counts(schema: Schema) -> None:
    rfc2006 = Counter(f.kind for f in ALL_FACTS if f.origin == "2006")
    # fact sheet 1.1: 157 OBJECT-TYPEs = 75 scalars + 10 tables + 10 rows + 62 columns
    assert rfc2006 == {"scalar": 75, "table": 10, "row": 10, "column": 62}
    kinds = Counter(o.kind for o in schema.objects() if o.clazz == "objecttype")
    # RFC 2006 plus the revision's additions of section 2.5
    assert kinds == {"scalar": 99, "table": 16, "row": 16, "column": 133}
    classes = Counter(o.clazz for o in schema.objects())
    assert classes["objecttype"] == 264
    assert classes["notificationtype"] == 2
    assert classes["objectgroup"] == 22
    assert classes["notificationgroup"] == 2
    assert classes["modulecompliance"] == 2
    assert classes["moduleidentity"] == 1
    local_tcs = [
        "RegistrationFlags",
        "MipEntityIdentifierType",
        "MipEntityIdentifier",
        "MipEntityIdentifierNAI",
        "MipDeliveryStyle",
    ]
    for tc in local_tcs:
        assert schema.tc(tc)["module"] == "MIP-MIB"


def test_module_identity(schema: Schema) -> None:
    assert schema.module == "MIP-MIB"
    assert schema.last_updated == "200605260000Z"
    assert [r[:10] for r in schema.revisions] == ["2006-05-26", "1996-06-04"]
    assert schema.oid("mipMIB") == MIP


def test_misspelled_descriptors_are_kept(schema: Schema) -> None:
    for name in (
        "mnGratuitousARPsSend",
        "mnAgentRebootsDectected",
        "mnRegRepliesRecieved",
        "mnDeRegRepliesRecieved",
        "faRegRepliesRecieved",
        "haGratuitiousARPsSent",
        "mipSecurityviolationStorageType",
        "mipSecNotificationsGroup",
    ):
        assert name in schema
    assert "mipSecNotifcationsGroup" not in schema
    assert schema.object("mnRegFlags").bits["decapsulationbyMN"] == 3


@pytest.mark.parametrize("row", sorted(EXPECTED_INDEX))
def test_index_lists(schema: Schema, row: str) -> None:
    obj = schema.object(row)
    assert obj.kind == "row"
    assert list(obj.index) == EXPECTED_INDEX[row]
    assert not obj.implied
    assert [o.name for o in schema.index_objects(row)] == EXPECTED_INDEX[row]
    # the same index is reachable from the table and from any column
    table = schema.table(row)
    assert list(schema.row(table.name).index) == EXPECTED_INDEX[row]
    for column in schema.columns(row):
        assert schema.row(column.name) is obj


def test_every_row_is_listed(schema: Schema) -> None:
    assert {o.name for o in schema.objects("row")} == set(EXPECTED_INDEX)


def test_columns(schema: Schema) -> None:
    ha_counter = schema.columns("haCounterTable")
    assert [c.name for c in ha_counter] == [
        "haServiceRequestsAccepted",
        "haServiceRequestsDenied",
        "haOverallServiceTime",
        "haRecentServiceAcceptedTime",
        "haRecentServiceDeniedTime",
        "haRecentServiceDeniedCode",
    ]
    assert [c.oid[-1] for c in ha_counter] == [2, 3, 4, 5, 6, 7]  # no column 1 (borrowed index)
    assert [c.oid[-1] for c in schema.columns("haRegCounterEntry")] == [1, 2, 3, 4, 5, 6]
    assert [c.name for c in schema.columns("faAdvertConfEntry")] == [
        "faAdvertIsBusy",
        "faAdvertRegRequired",
        "faAdvertChallengeWindow",
    ]
    assert len(schema.columns("haMobilityBindingTable")) == 16
    assert len(schema.columns("mipSecurityAssocTable")) == 12
    assert schema.columns("mipSecurityAssocEntry")[10].name == "mipSecurityStatus"
    with pytest.raises(ValueError):
        schema.columns("mipEntities")


def _syntax(obj: MibObject) -> tuple[object, ...]:
    return (obj.syntax, obj.tc, obj.smi_type, obj.base_type)


def test_syntax_resolution(schema: Schema) -> None:
    o = schema.object
    assert _syntax(o("mipSecurityStatus")) == ("RowStatus", "RowStatus", "INTEGER", "Integer32")
    assert o("mipSecurityStatus").enums["createAndGo"] == 4
    assert _syntax(o("mnCurrentHA")) == ("TruthValue", "TruthValue", "INTEGER", "Integer32")
    assert dict(o("mnCurrentHA").enums) == {"true": 1, "false": 2}
    assert _syntax(o("mnRegTimeSent")) == ("TimeStamp", "TimeStamp", "TimeTicks", "TimeTicks")
    assert o("faCOAStorageType").tc == "StorageType"
    assert o("faCOAStorageType").defval == o("faCOAStorageType").enums["nonVolatile"] == 3
    assert _syntax(o("maAdvertIfIndex")) == (
        "InterfaceIndex",
        "InterfaceIndex",
        "Integer32",
        "Integer32",
    )
    assert o("maAdvertIfIndex").ranges == ((1, 2147483647),)

    flags = o("haMobilityBindingRegFlags")
    assert _syntax(flags) == ("RegistrationFlags", "RegistrationFlags", "Bits", "OctetString")
    assert dict(flags.bits) == {
        "reserved": 0,
        "gre": 1,
        "minEnc": 2,
        "decapsulationbyMN": 3,
        "broadcastDatagram": 4,
        "simultaneousBindings": 5,
        "reverseTunnel": 6,
    }
    assert _syntax(o("mipEntities")) == ("Bits", None, "Bits", "OctetString")
    assert dict(o("mipEntities").bits) == {"mobileNode": 0, "foreignAgent": 1, "homeAgent": 2}
    assert o("mipEncapsulationSupported").bits["mipUdp"] == 4
    assert o("mnAdvFlags").bits == {
        "reserved0": 0,
        "gre": 1,
        "minEnc": 2,
        "foreignAgent": 3,
        "homeAgent": 4,
        "busy": 5,
        "regRequired": 6,
        "reverseTunnel": 7,
    }
    assert dict(o("maAdvertService").bits) == {"foreignAgent": 0, "homeAgent": 1}

    assert _syntax(o("mipSecurityPeerId")) == (
        "MipEntityIdentifier",
        "MipEntityIdentifier",
        "OctetString",
        "OctetString",
    )
    assert o("mipSecurityPeerId").sizes == ((1, 64),)
    assert o("haMobilityBindingNAI").sizes == ((0, 255),)
    assert o("mipSecurityPeerIdType").enums == {"other": 1, "ipaddress": 2, "nai": 3}
    assert o("faRegVisitorDeliveryStyle").enums == {"direct": 1, "encapsulating": 2}
    assert o("faRegVisitorDeliveryStyle").defval == 1

    assert _syntax(o("mipSecKey")) == ("OctetString", None, "OctetString", "OctetString")
    assert o("mipSecKey").sizes == ((16, 16),)
    assert _syntax(o("mipSecSPI")) == ("Unsigned32", None, "Unsigned32", "Unsigned32")
    assert o("mipSecSPI").ranges == ((0, 4294967295),)
    assert _syntax(o("mipSecRecentViolationSPI"))[3] == "Integer32"  # RFC 2006, signed
    assert _syntax(o("mipSecurityRecentViolationSPI"))[3] == "Unsigned32"
    assert _syntax(o("mnRegIDLow"))[3] == "Unsigned32"  # changed by the revision
    assert _syntax(o("faVisitorRegIDLow"))[3] == "Integer32"
    assert _syntax(o("haMobilityBindingTimeGranted"))[3] == "Unsigned32"
    assert _syntax(o("haRecentServiceDeniedCode")) == ("INTEGER", None, "INTEGER", "Integer32")
    assert sorted(o("haRecentServiceDeniedCode").enums.values()) == list(range(128, 137))
    assert o("haRegRecentServiceDeniedCode").ranges == ((0, 255),)
    assert o("haRegRecentServiceDeniedCode").enums == {}
    assert o("mnAdvSequence").syntax == "Integer32"
    assert o("mnAdvSequence").ranges == ((0, 65535),)
    assert o("mnAdvMaxRegLifetime").ranges == ((1, 65535),)
    assert o("maAdvMaxRegLifetime").ranges == ((0, 65535),)
    assert _syntax(o("haOverallServiceTime"))[3] == "Gauge32"
    assert _syntax(o("mipSecTotalViolations"))[3] == "Counter32"
    assert _syntax(o("mnHomeAddress"))[3] == "IpAddress"


def test_units_and_defvals(schema: Schema) -> None:
    o = schema.object
    assert o("mipSecurityReplayTime").units == "seconds"
    assert o("mipSecurityReplayTime").ranges == ((3, 255),)
    assert o("mipSecurityReplayTime").defval == 7
    assert o("mipSecurityAlgorithmType").defval == 2  # md5
    assert o("mipSecurityAlgorithmMode").defval == 3  # hmac
    assert o("mipSecurityReplayMethod").defval == 2  # timestamps
    assert o("mipSecurityPeerNAI").defval == b""
    assert o("maAdvertNetworkNAI").defval == b""
    assert o("mnHomeAddress").defval == bytes(4)
    assert o("maAdvResponseSolicitationOnly").defval == 2  # false
    assert o("maAdvertResponseSolicitationOnly").defval == 2
    assert o("mnRegDeliveryStyle").defval == 1  # direct
    assert o("faAdvertChallengeWindow").defval == 2
    assert o("mipSecurityKey").defval is None
    assert o("haMobilityBindingTimeRemaining").units == "seconds"


def test_access_details(schema: Schema) -> None:
    violator = schema.object("mipSecViolatorAddress")
    assert violator.access == "accessible-for-notify"
    assert not violator.readable
    assert schema.object("mipSecurityviolationStorageType").access == "read-create"
    assert schema.object("faAdvertRegRequired").access == "read-write"
    assert schema.object("faAdvertIsBusy").access == "read-only"
    assert schema.object("mipEnable").writable
    assert schema.object("faRegistrationRequired").writable
    assert schema.object("faIsBusy").deprecated


def test_notifications_and_groups(schema: Schema) -> None:
    old = schema.object("mipAuthFailure")
    assert old.kind == "notification" and old.status == "deprecated"
    assert old.objects == (
        "mipSecViolatorAddress",
        "mipSecRecentViolationSPI",
        "mipSecRecentViolationIDLow",
        "mipSecRecentViolationIDHigh",
        "mipSecRecentViolationReason",
    )
    new = schema.object("mipAuthFailure2")
    assert new.kind == "notification" and new.status == "current"
    assert new.objects == (
        "mipSecurityViolatorNAI",
        "mipSecurityViolatorIpAddress",
        "mipSecurityViolationCounter",
        "mipSecurityRecentViolationSPI",
        "mipSecurityRecentViolationTime",
        "mipSecurityRecentViolationIDLow",
        "mipSecurityRecentViolationIDHigh",
        "mipSecurityRecentViolationReason",
        "mipSecurityRecentViolationErrCode",
    )
    groups = {
        o.name: o for o in schema.objects() if o.clazz in ("objectgroup", "notificationgroup")
    }
    assert [g.oid[-1] for g in groups.values()] == list(range(1, 25))
    assert groups["mipSecNotificationsGroup"].objects == ("mipAuthFailure",)
    assert groups["mipSecNotificationsGroup2"].objects == ("mipAuthFailure2",)
    assert groups["mipSecNotificationsGroup2"].oid == (*MIP, 3, 1, 24)
    assert "mipSecViolatorAddress" in groups["mipSecViolationGroup"].objects
    assert len(groups["mnRegistrationGroup2"].objects) == 28
    assert len(groups["faRegistrationGroup2"].objects) == 41
    assert len(groups["haRegistrationGroup2"].objects) == 41
    assert groups["faAdvertisementGroup2"].objects == (
        "faAdvertIsBusy",
        "faAdvertRegRequired",
        "faAdvertChallengeWindow",
        "faCOAStorageType",
    )
    deprecated_groups = {n for n, g in groups.items() if g.status == "deprecated"}
    assert deprecated_groups == {
        "mipSecAssociationGroup",
        "mipSecViolationGroup",
        "mnSystemGroup",
        "mnRegistrationGroup",
        "maAdvertisementGroup",
        "faAdvertisementGroup",
        "faRegistrationGroup",
        "haRegistrationGroup",
        "haRegNodeCountersGroup",
        "mipSecNotificationsGroup",
    }
    # every member of every group exists in the module
    for group in groups.values():
        for member in group.objects:
            assert member in schema, (group.name, member)
    compliance2 = schema.object("mipCompliance2")
    assert compliance2.status == "current" and compliance2.oid == (*MIP, 3, 2, 2)
    assert compliance2.objects[0] == "mipSystemGroup"
    assert "maAdvertisementNAIGroup" in compliance2.objects
    assert schema.object("mipCompliance").status == "deprecated"


def test_lookup_and_order(schema: Schema) -> None:
    instance = (*schema.oid("haMobilityBindingCOA"), 10, 0, 0, 1, 192, 0, 2, 7)
    found = schema.lookup(instance)
    assert found is not None
    assert found[0].name == "haMobilityBindingCOA"
    assert found[1] == (10, 0, 0, 1, 192, 0, 2, 7)
    assert schema.lookup((1, 3, 6, 1, 4)) is None
    assert schema.by_oid("1.3.6.1.2.1.44.1.6.3.28").name == "haRegCounterTable"
    assert schema.by_oid((*MIP, 1, 2, 5, 1, 11)).name == "mipSecurityStatus"
    with pytest.raises(KeyError):
        schema.by_oid((*MIP, 1, 6, 1))  # there is no mipHA.1
    with pytest.raises(KeyError):
        schema.object("noSuchObject")
    oids = [o.oid for o in schema.objects()]
    assert oids == sorted(oids)
    assert [o.kind for o in schema.objects("table")] == ["table"] * 16


def test_descriptions_are_the_projects(schema: Schema) -> None:
    header = MIB_FILE.read_text()[:2000]
    assert "mipmib project" in header
    text = schema.object("haEncapsulationUnavailable").description or ""
    assert "139" in text


# ------------------------------------------------------------------------------- compile/load
def _mib_copy(tmp_path: Path, ietf: Path) -> Path:
    mibs = tmp_path / "mibs"
    mibs.mkdir()
    shutil.copy2(MIB_FILE, mibs / "MIP-MIB.txt")
    (mibs / "ietf").symlink_to(ietf, target_is_directory=True)
    return mibs


def test_load_compiles_when_missing_or_stale(
    ietf_mibs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mibs = _mib_copy(tmp_path, ietf_mibs)
    monkeypatch.setenv("MIPMIB_MIB_DIR", str(mibs))
    assert default_mib_dir() == mibs
    compiled = mibs / "compiled" / "MIP-MIB.json"
    assert not compiled.exists()
    first = Schema.load()
    assert compiled.is_file()
    assert first.source == compiled
    assert first.oid("haRegCounterTable") == (*MIP, 1, 6, 3, 28)

    # older than the MIB text: recompiled
    os.utime(compiled, (1_000_000_000, 1_000_000_000))
    Schema.load()
    assert compiled.stat().st_mtime > 1_000_000_000

    # up to date: left alone
    mtime = compiled.stat().st_mtime_ns
    Schema.load()
    assert compiled.stat().st_mtime_ns == mtime

    # never compiles when told not to
    compiled.unlink()
    with pytest.raises(FileNotFoundError):
        Schema.load(compile_if_stale=False)


def test_compile_without_ietf_modules_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mibs = tmp_path / "mibs"
    mibs.mkdir()
    shutil.copy2(MIB_FILE, mibs / "MIP-MIB.txt")
    monkeypatch.setattr(compile_module, "SYSTEM_MIB_DIRS", ())  # no IF-MIB anywhere
    with pytest.raises(MibCompileError, match="fetch-ietf-mibs"):
        compile_mib(mibs, tmp_path / "out")


def test_compile_entry_point(ietf_mibs: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mipmib.mib.compile",
            "--mib-dir",
            str(MIB_DIR),
            "--out-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == tmp_path / "MIP-MIB.json"
    assert len(Schema.from_json(tmp_path / "MIP-MIB.json")) == len(
        Schema.from_json(compile_mib(MIB_DIR, tmp_path / "again"))
    )
