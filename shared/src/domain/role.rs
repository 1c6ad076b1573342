//! Roles and the one permission table that says what each may do (DESIGN.md §2).

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in a brand, most powerful first. `SuperAdmin` is the platform operator's
/// and is never granted through a brand.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    Owner,
    Admin,
    FullAccess,
    TeamMember,
}

/// Things a role may do in its brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Rename the brand, change its settings.
    ManageBrand,
    /// Invite, change roles of and remove members.
    ManageMembers,
    /// Create and revoke API keys.
    ManageApiKeys,
    /// Connect or disconnect Google accounts.
    ManageConnections,
    /// Read the brand's audit log.
    ViewAudit,
    /// Export the brand's data.
    ExportData,
    /// Define custom fields and pipeline stages.
    ConfigureRecords,
    /// Read and write every CRM record of the brand.
    WriteAllRecords,
    /// Read and write the CRM records assigned to oneself.
    WriteAssignedRecords,
}

impl Permission {
    /// Permissions over people and credentials, which only a signed-in person exercises:
    /// an API key never changes memberships, roles, invitations, keys or connections.
    pub fn needs_person(self) -> bool {
        matches!(
            self,
            Permission::ManageBrand
                | Permission::ManageMembers
                | Permission::ManageApiKeys
                | Permission::ManageConnections
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ManageBrand => "manage_brand",
            Permission::ManageMembers => "manage_members",
            Permission::ManageApiKeys => "manage_api_keys",
            Permission::ManageConnections => "manage_connections",
            Permission::ViewAudit => "view_audit",
            Permission::ExportData => "export_data",
            Permission::ConfigureRecords => "configure_records",
            Permission::WriteAllRecords => "write_all_records",
            Permission::WriteAssignedRecords => "write_assigned_records",
        }
    }

    pub const ALL: [Permission; 9] = [
        Permission::ManageBrand,
        Permission::ManageMembers,
        Permission::ManageApiKeys,
        Permission::ManageConnections,
        Permission::ViewAudit,
        Permission::ExportData,
        Permission::ConfigureRecords,
        Permission::WriteAllRecords,
        Permission::WriteAssignedRecords,
    ];
}

/// The permission table: which roles hold each permission. The README prints it.
const TABLE: [(Permission, &[Role]); 9] = {
    use Role::*;
    [
        (Permission::ManageBrand, &[SuperAdmin, Owner]),
        (Permission::ManageMembers, &[SuperAdmin, Owner, Admin]),
        (Permission::ManageApiKeys, &[SuperAdmin, Owner, Admin]),
        (Permission::ManageConnections, &[SuperAdmin, Owner, Admin]),
        (Permission::ViewAudit, &[SuperAdmin, Owner, Admin]),
        (Permission::ExportData, &[SuperAdmin, Owner, Admin]),
        (Permission::ConfigureRecords, &[SuperAdmin, Owner, Admin]),
        (
            Permission::WriteAllRecords,
            &[SuperAdmin, Owner, Admin, FullAccess],
        ),
        (
            Permission::WriteAssignedRecords,
            &[SuperAdmin, Owner, Admin, FullAccess, TeamMember],
        ),
    ]
};

impl Role {
    pub const ALL: [Role; 5] = [
        Role::SuperAdmin,
        Role::Owner,
        Role::Admin,
        Role::FullAccess,
        Role::TeamMember,
    ];

    pub fn can(self, permission: Permission) -> bool {
        TABLE
            .iter()
            .any(|(p, roles)| *p == permission && roles.contains(&self))
    }

    /// Whether a member with this role may give `other` to someone: never a role above one's
    /// own, and only owners make owners.
    pub fn may_grant(self, other: Role) -> bool {
        self.can(Permission::ManageMembers) && other != Role::SuperAdmin && self <= other
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::FullAccess => "full_access",
            Role::TeamMember => "team_member",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| Invalid::new("role", "must be owner, admin, full_access or team_member"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A brand's URL name: 3..=40 of `a-z 0-9 -`, not starting or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (3..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err(Invalid::new(
                "slug",
                "must be 3..=40 of a-z, 0-9 and -, not starting or ending with -",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks the whole table: every role against every permission, as the README prints it.
    #[test]
    fn p03_the_permission_table() {
        use Permission::*;
        let expect = |role: Role| -> Vec<Permission> {
            Permission::ALL
                .into_iter()
                .filter(|p| role.can(*p))
                .collect()
        };
        assert_eq!(expect(Role::SuperAdmin), Permission::ALL.to_vec());
        assert_eq!(expect(Role::Owner), Permission::ALL.to_vec());
        assert_eq!(
            expect(Role::Admin),
            vec![
                ManageMembers,
                ManageApiKeys,
                ManageConnections,
                ViewAudit,
                ExportData,
                ConfigureRecords,
                WriteAllRecords,
                WriteAssignedRecords
            ]
        );
        assert_eq!(
            expect(Role::FullAccess),
            vec![WriteAllRecords, WriteAssignedRecords]
        );
        assert_eq!(expect(Role::TeamMember), vec![WriteAssignedRecords]);
        for p in Permission::ALL {
            assert!(
                TABLE.iter().filter(|(q, _)| *q == p).count() == 1,
                "{p:?} listed once"
            );
        }
    }

    #[test]
    fn p03_nobody_grants_above_their_own_role() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Admin.may_grant(Role::FullAccess));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(
            !Role::FullAccess.may_grant(Role::TeamMember),
            "no member management"
        );
        assert!(!Role::Owner.may_grant(Role::SuperAdmin));
    }

    #[test]
    fn roles_and_slugs_parse_strictly() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
        assert_eq!(
            Slug::parse(" Bloom-Balloons ").unwrap().as_str(),
            "bloom-balloons"
        );
        for bad in ["ab", "-ab", "ab-", "a b", "über", &"a".repeat(41)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
