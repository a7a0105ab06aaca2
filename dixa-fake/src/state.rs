//! The fake organization's mutable state.
//!
//! Small collections (agents, tags, queues, teams) are stored. End users are
//! generated from their index; only patched or created ones are stored, so a
//! fake with 100,000 end users costs a few kilobytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::data::{parse_id, uuid, Kind};
use crate::model::{self, ConvCtx, Person};
use crate::server::Config;

/// A stored tag.
#[derive(Clone, Debug)]
pub(crate) struct TagRec {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) color: Option<String>,
    pub(crate) active: bool,
}

/// A stored queue; members are agent indices with their priority.
#[derive(Clone, Debug)]
pub(crate) struct QueueRec {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) is_default: bool,
    pub(crate) priority: i64,
    pub(crate) members: BTreeMap<u64, i64>,
}

/// A stored team; members are agent indices.
#[derive(Clone, Debug)]
pub(crate) struct TeamRec {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) members: BTreeSet<u64>,
}

/// Everything a request may change.
pub(crate) struct OrgState {
    /// Agents by index; `None` once downgraded to an end user.
    pub(crate) agents: Vec<Option<Person>>,
    pub(crate) seed_end_users: u64,
    /// Seed end users that were patched or updated.
    pub(crate) end_user_overrides: HashMap<u64, Person>,
    /// End users created through the API, indexed from `seed_end_users`.
    pub(crate) created_end_users: Vec<Person>,
    pub(crate) tags: Vec<TagRec>,
    /// Tags of conversations that were tagged or untagged through the API;
    /// others still carry their seed tags.
    pub(crate) conversation_tags: HashMap<u64, BTreeSet<usize>>,
    pub(crate) conversations: u64,
    pub(crate) queues: Vec<QueueRec>,
    pub(crate) teams: Vec<TeamRec>,
    pub(crate) conv_ctx: ConvCtx,
    /// Knowledge base articles: the seed ones, then created ones.
    pub(crate) articles: Vec<crate::routes::knowledge::ArticleRec>,
}

impl OrgState {
    pub(crate) fn new(config: &Config) -> Self {
        let agents = config.agents as u64;
        let tags = model::SEED_TAGS
            .iter()
            .enumerate()
            .map(|(i, (name, color, active))| TagRec {
                id: uuid(Kind::Tag, i as u64),
                name: (*name).to_owned(),
                color: Some((*color).to_owned()),
                active: *active,
            })
            .collect();
        // Agents are spread round-robin over queues and teams; the first
        // agent is in every queue (the supervisor).
        let queues = model::SEED_QUEUES
            .iter()
            .enumerate()
            .map(|(q, (name, is_default))| QueueRec {
                id: uuid(Kind::Queue, q as u64),
                name: (*name).to_owned(),
                is_default: *is_default,
                priority: q as i64 + 1,
                members: (0..agents)
                    .filter(|a| *a == 0 || a % 3 == q as u64 || *is_default)
                    .map(|a| (a, (a % 3) as i64 + 1))
                    .collect(),
            })
            .collect();
        let teams = model::SEED_TEAMS
            .iter()
            .enumerate()
            .map(|(t, name)| TeamRec {
                id: uuid(Kind::Team, t as u64),
                name: (*name).to_owned(),
                members: (0..agents).filter(|a| a % 3 == t as u64).collect(),
            })
            .collect();
        OrgState {
            agents: (0..agents).map(|i| Some(model::agent(i))).collect(),
            seed_end_users: config.end_users as u64,
            end_user_overrides: HashMap::new(),
            created_end_users: Vec::new(),
            tags,
            conversation_tags: HashMap::new(),
            conversations: config.conversations as u64,
            queues,
            teams,
            articles: crate::routes::knowledge::seed_articles(),
            conv_ctx: ConvCtx {
                agents,
                queues: model::SEED_QUEUES.len() as u64,
                pool: model::requester_pool(config.conversations, config.end_users),
                unknown: config.unknown_conversation.map(|u| u as u64),
            },
        }
    }

    /// The index of the active agent with `id`.
    pub(crate) fn agent_index(&self, id: &str) -> Option<u64> {
        let i = parse_id(Kind::Agent, id)?;
        self.agents.get(i as usize)?.as_ref().map(|_| i)
    }

    /// The active agent with `id`.
    pub(crate) fn agent(&self, id: &str) -> Option<&Person> {
        self.agents.get(self.agent_index(id)? as usize)?.as_ref()
    }

    /// Active agents in index order.
    pub(crate) fn active_agents(&self) -> impl Iterator<Item = (u64, &Person)> {
        self.agents.iter().enumerate().filter_map(|(i, a)| a.as_ref().map(|a| (i as u64, a)))
    }

    /// How many end users exist (seed plus created).
    pub(crate) fn end_user_count(&self) -> u64 {
        self.seed_end_users + self.created_end_users.len() as u64
    }

    /// End user number `i`, generated or stored.
    pub(crate) fn end_user(&self, i: u64) -> Option<Person> {
        if i < self.seed_end_users {
            Some(self.end_user_overrides.get(&i).cloned().unwrap_or_else(|| model::end_user(i)))
        } else {
            self.created_end_users.get((i - self.seed_end_users) as usize).cloned()
        }
    }

    /// The index of the end user with `id`.
    pub(crate) fn end_user_index(&self, id: &str) -> Option<u64> {
        let i = parse_id(Kind::EndUser, id)?;
        (i < self.end_user_count()).then_some(i)
    }

    /// Stores a changed end user.
    pub(crate) fn put_end_user(&mut self, i: u64, p: Person) {
        if i < self.seed_end_users {
            self.end_user_overrides.insert(i, p);
        } else if let Some(slot) = self.created_end_users.get_mut((i - self.seed_end_users) as usize) {
            *slot = p;
        }
    }

    /// The index of the conversation with numeric id `id`.
    pub(crate) fn conversation_index(&self, id: &str) -> Option<u64> {
        let n: u64 = id.parse().ok()?;
        let i = n.checked_sub(model::FIRST_CONVERSATION_ID)?;
        (i < self.conversations).then_some(i)
    }

    /// The tag indices on conversation `i`.
    pub(crate) fn tags_of(&self, i: u64) -> BTreeSet<usize> {
        if let Some(t) = self.conversation_tags.get(&i) {
            return t.clone();
        }
        // Seed: every third conversation carries one active tag.
        let active = model::SEED_TAGS.iter().filter(|t| t.2).count() as u64;
        if i.is_multiple_of(3) && active > 0 {
            [(i / 3 % active) as usize].into()
        } else {
            BTreeSet::new()
        }
    }

    /// The index of the tag with `id`.
    pub(crate) fn tag_index(&self, id: &str) -> Option<usize> {
        self.tags.iter().position(|t| t.id == id)
    }

    /// The queue with `id`.
    pub(crate) fn queue_mut(&mut self, id: &str) -> Option<&mut QueueRec> {
        self.queues.iter_mut().find(|q| q.id == id)
    }

    /// The team with `id`.
    pub(crate) fn team_mut(&mut self, id: &str) -> Option<&mut TeamRec> {
        self.teams.iter_mut().find(|t| t.id == id)
    }
}
