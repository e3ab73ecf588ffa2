//! The stats zone (`fediguard_metrics_zone`): counters shared by all
//! workers and the ring of recent apps, in nginx shared memory, kept across
//! reloads when its name and size stay the same.
//!
//! Agent classes and limit zones are counted in named slots, matched by
//! name each time the configuration is loaded: a class keeps its counts
//! across a reload even when the order of the rules changes.

use core::ffi::c_void;
use core::ptr;

use fediguard_core::stats::{StatsZone, NAME_CAP, NAME_SLOTS, SLOT_CLASS, SLOT_LIMIT, SLOT_VERIFY};
use nginx_sys::{
    ngx_int_t, ngx_shm_zone_t, ngx_shmtx_lock, ngx_shmtx_unlock, ngx_slab_alloc, ngx_slab_pool_t,
    NGX_LOG_EMERG, NGX_LOG_NOTICE, NGX_LOG_WARN,
};
use ngx::core::Status;

use super::directive::Directive;
use super::zone::{log_zone, register};

/// Smallest stats zone: the counters take about 25 KB.
pub const MIN_STATS_ZONE: usize = 64 * 1024;

/// No slot (all taken): not counted.
pub const NO_SLOT: u16 = u16::MAX;

#[derive(Debug)]
pub struct StatsConf {
    shm_zone: *mut ngx_shm_zone_t,
    /// Set by MainConf::finish: the names to find slots for.
    pub class_names: Vec<String>,
    pub limit_names: Vec<String>,
    /// The classes whose verified claims are counted, by ClassId (an empty
    /// name for a class without a verification method).
    pub verify_names: Vec<String>,
    /// Set when the zone is initialised: the slot of each class (by
    /// ClassId) and of each limit zone (by index).
    pub class_slots: Vec<u16>,
    pub limit_slots: Vec<u16>,
    /// By ClassId: the slot counting the class's verified claims.
    pub verify_slots: Vec<u16>,
    mem: *mut u8,
}

impl StatsConf {
    /// Registers the zone (at configuration time). Boxed: nginx keeps a
    /// pointer to it until the zone is initialised.
    pub fn add(d: &Directive, name: &str, size: usize) -> Result<Box<Self>, String> {
        let z = register(d, name, size, MIN_STATS_ZONE)?;
        let shm_zone: *mut ngx_shm_zone_t = z;
        let mut conf = Box::new(StatsConf {
            shm_zone,
            class_names: Vec::new(),
            limit_names: Vec::new(),
            class_slots: Vec::new(),
            limit_slots: Vec::new(),
            verify_names: Vec::new(),
            verify_slots: Vec::new(),
            mem: ptr::null_mut(),
        });
        z.init = Some(init_zone);
        // Until init replaces it with the zone's memory, data points at
        // this configuration, for init to fill in the slots.
        z.data = (&mut *conf as *mut StatsConf).cast();
        Ok(conf)
    }

    /// The zone, for atomics (no lock).
    pub fn zone(&self) -> Option<StatsZone> {
        if self.mem.is_null() {
            return None;
        }
        // SAFETY: mem was accepted by init/attach in init_zone.
        Some(unsafe { StatsZone::attached(self.mem) })
    }

    /// Runs `f` under the zone's mutex (for the ring).
    pub fn with_lock<R>(&self, f: impl FnOnce(&StatsZone) -> R) -> Option<R> {
        let zone = self.zone()?;
        // SAFETY: shm.addr is the zone's slab pool once nginx has started.
        unsafe {
            let pool = (*self.shm_zone).shm.addr.cast::<ngx_slab_pool_t>();
            if pool.is_null() {
                return None;
            }
            ngx_shmtx_lock(&mut (*pool).mutex);
            let out = f(&zone);
            ngx_shmtx_unlock(&mut (*pool).mutex);
            Some(out)
        }
    }
}

/// Lays out a new zone or takes over the previous cycle's, then finds the
/// slots of this configuration's class and zone names.
unsafe extern "C" fn init_zone(shm_zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    // SAFETY: nginx calls a zone's init with the zone (data: this configuration's StatsConf, set in add) and the previous cycle's data or NULL, under no lock, before any worker starts.
    unsafe {
        let z = &mut *shm_zone;
        let Some(conf) = z.data.cast::<StatsConf>().as_mut() else {
            return Status::NGX_ERROR.0;
        };
        let pool = z.shm.addr.cast::<ngx_slab_pool_t>();
        let size = z.shm.size;
        let view = if !data.is_null() {
            // A reload: same name, same size; the old counters carry on.
            StatsZone::attach(data.cast(), size).map(|v| (v, data))
        } else if z.shm.exists != 0 {
            let mem = (*pool).data;
            StatsZone::attach(mem.cast(), size).map(|v| (v, mem))
        } else {
            // All the free pages in one allocation, quietly trying smaller.
            let mut bytes = ((*pool).pfree * nginx_sys::ngx_pagesize).min(size);
            let mut mem = ptr::null_mut::<c_void>();
            let log_nomem = (*pool).log_nomem();
            (*pool).set_log_nomem(0);
            while bytes >= MIN_STATS_ZONE / 2 {
                mem = ngx_slab_alloc(pool, bytes);
                if !mem.is_null() {
                    break;
                }
                bytes = bytes / 10 * 9;
            }
            (*pool).set_log_nomem(log_nomem);
            let v = if mem.is_null() {
                None
            } else {
                StatsZone::init(mem.cast(), bytes)
            };
            if let Some(v) = &v {
                log_zone(
                    z,
                    NGX_LOG_NOTICE,
                    &format!(
                        "keeps {} apps of {} bytes",
                        v.capacity(),
                        StatsZone::BYTES_PER_APP
                    ),
                );
                (*pool).data = mem;
            }
            v.map(|v| (v, mem))
        };
        let Some((view, mem)) = view else {
            let why = if data.is_null() && z.shm.exists == 0 {
                "is too small"
            } else {
                "cannot be taken over from the previous configuration \
                 (another kind of zone had this name and size): rename it"
            };
            log_zone(z, NGX_LOG_EMERG, why);
            return Status::NGX_ERROR.0;
        };
        ngx_shmtx_lock(&mut (*pool).mutex);
        conf.class_slots = conf
            .class_names
            .iter()
            .map(|n| view.map_name(SLOT_CLASS, n).unwrap_or(NO_SLOT))
            .collect();
        conf.limit_slots = conf
            .limit_names
            .iter()
            .map(|n| view.map_name(SLOT_LIMIT, n).unwrap_or(NO_SLOT))
            .collect();
        conf.verify_slots = conf
            .verify_names
            .iter()
            .map(|n| match n.is_empty() {
                true => NO_SLOT,
                false => view.map_name(SLOT_VERIFY, n).unwrap_or(NO_SLOT),
            })
            .collect();
        ngx_shmtx_unlock(&mut (*pool).mutex);
        // A name without a slot is listed at 0: say so once, at start, rather
        // than let the metrics look like nothing happened.
        let unslotted = conf
            .class_names
            .iter()
            .zip(&conf.class_slots)
            .chain(conf.limit_names.iter().zip(&conf.limit_slots))
            .filter(|(_, &slot)| slot == NO_SLOT);
        for (name, _) in unslotted {
            log_zone(
                z,
                NGX_LOG_WARN,
                &format!(
                    "does not count \"{name}\" (names of at most {NAME_CAP} bytes, \
                     {NAME_SLOTS} names in all): it is listed at 0"
                ),
            );
        }
        conf.mem = mem.cast();
        z.data = mem;
        Status::NGX_OK.0
    }
}
